"""A query string's arguments are parsed once per schema and process (``api.ParsedQueries``), and never wrongly."""
import datetime as dt

import pytest

from pc_app.api import Blueprint, ParsedQueries

from .api_checks import assert_error_shape


@pytest.fixture(autouse=True)
def _empty_memory(monkeypatch):
    """Each test counts entries from an empty memory, however many earlier tests (the fuzzers) left."""
    monkeypatch.setattr(Blueprint.ARGUMENTS_PARSER, "parsed_queries", ParsedQueries())


def _parsed() -> ParsedQueries:
    return Blueprint.ARGUMENTS_PARSER.parsed_queries


def test_the_same_query_string_is_answered_alike_and_parsed_once(client, actors):
    owner = actors.partner_owner()
    query = "/v1/leads?industry=saas&industry=fintech&perPage=5"
    first = client.get(query, headers=owner.headers)
    assert len(_parsed()) == 1
    second = client.get(query, headers=owner.headers)
    assert first.status_code == second.status_code == 200 and first.get_json() == second.get_json()
    assert len(_parsed()) == 1  # remembered once, found the second time
    # found, not parsed again: what is remembered under that query string is what the route gets
    key = list(_parsed().entries)[-1]
    _parsed().put(key, {**_parsed().get(key), "perPage": 2})
    assert client.get(query, headers=owner.headers).get_json()["perPage"] == 2
    _parsed().drop(key)


def test_one_query_string_is_parsed_by_each_routes_own_schema(client, actors):
    """``industry`` filters leads but is no argument of the user list: 422 there, whatever leads remembered."""
    owner = actors.partner_owner()
    assert client.get("/v1/leads?industry=saas", headers=owner.headers).status_code == 200
    body = assert_error_shape(client.get("/v1/users?industry=saas", headers=owner.headers), 422)
    assert "industry" in str(body)
    assert client.get("/v1/leads?industry=saas", headers=owner.headers).status_code == 200


def test_refused_and_long_query_strings_are_not_remembered(client, actors):
    owner = actors.partner_owner()
    for _ in range(2):
        assert_error_shape(client.get("/v1/leads?perPage=0", headers=owner.headers), 422)
    long_query = "/v1/leads?" + "&".join(["industry=saas"] * 40)  # 559 bytes
    assert len(long_query) - len("/v1/leads?") > ParsedQueries.LONGEST
    assert client.get(long_query, headers=owner.headers).status_code == 200
    assert len(_parsed()) == 0


def test_what_is_handed_out_is_a_copy_and_only_plain_arguments_are_kept():
    parsed = ParsedQueries()
    parsed.keep("k", {"industry": ["saas"], "page": 2, "createdFrom": dt.datetime(2026, 1, 1)})
    first = parsed.get("k")
    first["industry"].append("fintech")
    first["page"] = 3
    assert parsed.get("k") == {"industry": ["saas"], "page": 2, "createdFrom": dt.datetime(2026, 1, 1)}
    parsed.keep("nested", {"filter": {"a": 1}})
    parsed.keep("list of dicts", {"rows": [{"a": 1}]})
    assert parsed.get("nested") is None and parsed.get("list of dicts") is None and len(parsed) == 1


def test_the_memory_is_bounded_oldest_first():
    parsed = ParsedQueries()
    parsed.size = 2
    for n in range(3):
        parsed.keep(n, {"page": n})
    assert parsed.get(0) is None and parsed.get(1) == {"page": 1} and parsed.get(2) == {"page": 2}
