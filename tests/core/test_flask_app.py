"""The app's Flask class remembers which handlers are coroutine functions and treats them as Flask does."""
import pytest

from pc_app.flask_app import PartnerConnectorFlask


def test_a_plain_handler_runs_as_it_is_and_an_async_one_is_still_refused_without_asgiref():
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
        with pytest.raises(RuntimeError, match="async"):  # Flask's own answer: this install has no async extra
            app.ensure_sync(coroutine)
    assert set(app._coroutine_functions.values()) == {False, True}


def test_the_app_is_built_with_it(app):
    assert isinstance(app, PartnerConnectorFlask)
