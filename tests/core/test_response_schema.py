"""ResponseSchema keeps the document's promise: every field in every answer, null when nullable."""
import marshmallow as ma
import pytest

from pc_app.api import ResponseSchema


class _Card(ResponseSchema):
    name = ma.fields.String()
    note = ma.fields.String(allow_none=True)


@pytest.mark.parametrize("many", [False, True])
def test_a_missing_nullable_field_is_sent_as_null_and_a_missing_required_one_fails_under_test(app, many):
    with app.app_context():
        dumped = _Card(many=many).dump([{"name": "a"}, {"name": "b"}] if many else {"name": "a"})
        assert dumped == ([{"name": "a", "note": None}, {"name": "b", "note": None}] if many else
                          {"name": "a", "note": None})
        with pytest.raises(AssertionError, match=r"left out \['name'\]"):
            _Card(many=many).dump([{"name": "a"}, {}] if many else {})
        app.config["TESTING"] = False  # in production an answer is never refused for it
        assert _Card(many=many).dump([{}] if many else {}) == ([{"note": None}] if many else {"note": None})
