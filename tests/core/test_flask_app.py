"""The app's Flask class remembers which handlers are coroutine functions and treats them as Flask does."""
from pc_app.flask_app import PartnerConnectorFlask


def test_a_plain_handler_runs_as_it_is_and_an_async_one_as_flask_runs_it():
    app = PartnerConnectorFlask("probe")

    def plain():
        return "ok"

    async def coroutine():
        return "ok"

    class View:
        def handler(self):
            return "ok"

    for _ in range(2):  # the second answer comes from what was remembered
        assert app.ensure_sync(plain) is plain
        bound = View().handler
        assert app.ensure_sync(bound) is bound
        try:
            wrapped = app.ensure_sync(coroutine)
        except RuntimeError as exc:  # Flask's own answer without its async extra (asgiref), as installed here
            assert "async" in str(exc)
        else:
            assert wrapped is not coroutine  # run to completion by Flask's async_to_sync
    assert set(app._coroutine_functions.values()) == {False, True}


def test_the_app_is_built_with_it(app):
    assert isinstance(app, PartnerConnectorFlask)
