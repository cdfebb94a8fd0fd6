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


class _Plain(ResponseSchema):
    OPTIONAL = ("absent", "absentCount")
    text = ma.fields.String(allow_none=True)
    renamed = ma.fields.String(attribute="stored_name", data_key="shownName")
    count = ma.fields.Integer(allow_none=True)
    countText = ma.fields.Integer(attribute="count_text", as_string=True)
    absent = ma.fields.String()
    absentCount = ma.fields.Integer()
    defaulted = ma.fields.String(dump_default="none given")
    when = ma.fields.Method("_when")

    def _when(self, obj):
        return "computed"


class _Label(str):
    """A str subclass, as the services' Actor is."""


@pytest.mark.parametrize("row", [
    {"text": "plain", "stored_name": b"bytes", "count": "42", "count_text": 3},
    {"text": None, "stored_name": _Label("user:1"), "count": 7.9, "count_text": "8"},
    {"text": 12, "stored_name": "x", "count": None, "count_text": None},
])
def test_plain_fields_dump_exactly_as_marshmallow_dumps_them(app, row):
    """ResponseSchema reads plain strings and integers itself (for speed): the answer must not change."""
    with app.app_context():
        app.config["TESTING"] = False  # compare the bare dumps (OPTIONAL fields are absent here)
        ours = _Plain().dump(row)
        theirs = ma.Schema._serialize(_Plain(), row)
        assert ours == {**theirs, "text": theirs.get("text")}
        assert type(ours["shownName"]) is str and ours["defaulted"] == "none given" and "absent" not in ours
