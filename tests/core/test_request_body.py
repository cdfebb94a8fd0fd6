"""The one guarded JSON reader: bad bodies are 400/413/422 in the error shape, never a 500, and nothing is written."""
import json

import pytest
from flask import request

from pc_app.core.models import Lead, Partner, User
from pc_app.request_body import MAX_DEPTH, MAX_INTEGER_DIGITS, read_json

from .api_checks import assert_error_shape

PUBLIC_BODY_ROUTES = ["/v1/auth/sign-in", "/v1/auth/forgot-password", "/v1/auth/reset-password"]


def post_raw(client, url, raw: bytes | str, headers=None):
    return client.post(url, data=raw, headers={"Content-Type": "application/json", **(headers or {})})


def nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


@pytest.mark.parametrize("url", PUBLIC_BODY_ROUTES)
def test_a_thousand_levels_of_nesting_is_a_422_without_a_token(client, url):
    response = post_raw(client, url, '{"email": %s}' % nested(1000))
    body = assert_error_shape(response, 422)
    assert f"{MAX_DEPTH} levels" in body["message"]


def test_nesting_up_to_the_limit_is_read_and_one_more_level_is_not(client):
    # Arrays inside the object: the object is one level, so MAX_DEPTH - 1 arrays fit.
    fits = post_raw(client, "/v1/auth/sign-in", '{"email": %s}' % nested(MAX_DEPTH - 1))
    assert fits.status_code == 422 and "email" in fits.get_json()["errors"]  # read, then refused by the schema
    too_deep = post_raw(client, "/v1/auth/sign-in", '{"email": %s}' % nested(MAX_DEPTH))
    assert too_deep.get_json()["errors"] == {"_schema": [f"At most {MAX_DEPTH} levels of nesting."]}


def test_brackets_inside_strings_do_not_count_as_nesting(client):
    response = post_raw(client, "/v1/auth/sign-in", json.dumps({"email": "[" * 5000 + '"\\{', "password": "x"}))
    assert response.status_code == 422
    assert "email" in response.get_json()["errors"]  # the schema's refusal: the reader took the body


@pytest.mark.parametrize("raw, field", [
    ('{"email": "a\\ud800@example.com", "password": "x"}', "email"),
    ('{"email": "a@example.com", "password": "\\udfff"}', "password"),
    ('{"email": "a@example.com", "password": "a\\u0000b"}', "password"),
    ('{"email": "a@example.com", "password": ["ok", {"deep": "\\ud83d"}]}', "password.1.deep"),
    ('{"\\ud800": 1}', "\\ud800"),
    ('{"a\\u0000": 1}', "a\\u0000"),
])
def test_text_that_cannot_be_stored_is_a_422_naming_the_field(client, raw, field):
    response = post_raw(client, "/v1/auth/sign-in", raw)
    body = assert_error_shape(response, 422)
    assert list(body["errors"]) == [field]
    assert "cannot be stored" in body["errors"][field][0]


def test_a_surrogate_pair_is_a_character_and_is_accepted(client, app):
    response = post_raw(client, "/v1/auth/forgot-password", '{"email": "\\ud83d\\ude00@example.com"}')
    assert response.status_code in (202, 422)
    assert "cannot be stored" not in json.dumps(response.get_json())


@pytest.mark.parametrize("digits", [MAX_INTEGER_DIGITS + 1, 4301, 5000, 100_000])
def test_an_over_long_integer_is_a_422_naming_the_field_not_a_crash(client, digits):
    response = post_raw(client, "/v1/auth/sign-in", '{"email": "a@example.com", "password": %s}' % ("9" * digits))
    body = assert_error_shape(response, 422)
    assert body["errors"] == {"password": [f"Integers have at most {MAX_INTEGER_DIGITS} digits."]}


def test_an_integer_of_twenty_digits_is_read_and_left_to_the_field(client, actors):
    owner = actors.partner_owner()
    response = client.post("/v1/leads", headers=owner.headers,
                           json={"firstName": "A", "email": "a@example.com", "dealAmount": 10**19})
    body = assert_error_shape(response, 422)
    assert list(body["errors"]) == ["dealAmount"] and "less than or equal to" in body["errors"]["dealAmount"][0]


@pytest.mark.parametrize("raw", ['{"price": NaN}', '{"price": Infinity}', '{"price": -Infinity}'])
def test_nan_and_infinity_are_not_json(client, raw):
    body = assert_error_shape(post_raw(client, "/v1/auth/sign-in", raw), 400)
    assert "not JSON" in body["message"]


def test_a_number_too_large_for_a_float_is_a_422(client):
    body = assert_error_shape(post_raw(client, "/v1/auth/sign-in", '{"email": 1e400}'), 422)
    assert body["errors"] == {"email": ["The number is too large."]}


@pytest.mark.parametrize("raw", [b'{"email": ', b"{'email': 'a'}", b'{"a": "\xff"}', b"   ", b'\xef\xbb\xbf{"a": 1}'])
def test_malformed_json_is_a_400_in_the_error_shape(client, raw):
    assert_error_shape(post_raw(client, "/v1/auth/sign-in", raw), 400)


def test_a_body_over_one_mebibyte_is_a_413(client):
    body = assert_error_shape(post_raw(client, "/v1/auth/sign-in", '{"email": "%s"}' % ("a" * 1024 * 1024)), 413)
    assert "too large" in body["message"]


def test_a_body_in_another_format_is_a_415(client, actors):
    owner = actors.partner_owner()
    response = client.post("/v1/leads", headers={**owner.headers, "Content-Type": "text/plain"},
                           data="firstName=A")
    assert_error_shape(response, 415)


def test_a_required_body_that_is_missing_is_a_422_and_nothing_changes(client, app, actors):
    owner = actors.partner_owner(name="Before")
    response = client.patch(f"/v1/partners/{owner.partner_id}", headers=owner.headers)
    body = assert_error_shape(response, 422)
    assert body["errors"] == {"_schema": ["A JSON body is required."]}
    with app.app_context():
        assert Partner.objects.get(id=owner.partner_id).name == "Before"


def test_a_json_null_is_not_a_missing_body(client, actors):
    owner = actors.partner_owner()
    response = post_raw(client, "/v1/auth/sign-out", "null", headers=owner.headers)
    assert_error_shape(response, 422)


@pytest.mark.parametrize("url, raw", [
    ("/v1/leads", '{"firstName": "A", "email": "a@example.com", "company": "\\u0000"}'),
    ("/v1/leads", '{"firstName": %s, "email": "a@example.com"}' % nested(1000)),
    ("/v1/leads", '{"firstName": "A", "email": "a@example.com", "dealAmount": %s}' % ("9" * 5000)),
])
def test_refused_bodies_write_nothing(client, app, actors, url, raw):
    owner = actors.partner_owner()
    assert post_raw(client, url, raw, headers=owner.headers).status_code == 422
    with app.app_context():
        assert Lead.objects.count() == 0


def test_the_body_is_parsed_once_per_request_and_request_get_json_is_the_guarded_reader(app):
    with app.test_request_context("/", method="POST", data='{"a": [1, 2]}', content_type="application/json"):
        first = read_json()
        assert read_json() is first  # the same object: parsed once, kept on the request
        assert request.get_json() is first
    with app.test_request_context("/", method="POST", data=nested(5000), content_type="application/json"):
        with pytest.raises(Exception) as refused:
            request.get_json()
        assert getattr(refused.value, "status", None) == 422  # a refusal, not a RecursionError
        assert request.get_json(silent=True) is None


@pytest.mark.parametrize("url", ["/v1/auth/sign-in", "/v1/auth/forgot-password"])
def test_the_per_email_rate_limit_key_never_breaks_on_a_refused_body(client, url):
    for raw in ('{"email": "\\ud800"}', '{"email": %s}' % nested(1000), '{"email": %s}' % ("9" * 5000)):
        assert post_raw(client, url, raw).status_code == 422


def test_a_nul_in_a_query_string_is_a_422_naming_the_parameter(client, actors):
    admin = actors.admin()
    body = assert_error_shape(client.get("/v1/users?q=a%00b", headers=admin.headers), 422)
    assert list(body["errors"]) == ["q"]


@pytest.mark.parametrize("query, field", [
    ("isActive=1", "isActive"), ("isActive=yes", "isActive"), ("isActive=True", "isActive"),
    ("page=%C2%B2", "page"), ("page=%D9%A1", "page"), ("page=9223372036854775808", "page"), ("page=1.0", "page"),
    ("page=" + "9" * 5000, "page"),
])
def test_query_booleans_and_integers_are_read_strictly(client, actors, query, field):
    admin = actors.admin()
    body = assert_error_shape(client.get(f"/v1/users?{query}", headers=admin.headers), 422)
    assert list(body["errors"]) == [field]


def test_query_booleans_true_and_false_filter(client, app, actors):
    admin = actors.admin()
    partner = actors.partner()
    gone = actors.member(partner)
    with app.app_context():
        User.objects(id=gone.id).update_one(set__is_active=False)
    inactive = client.get("/v1/users?isActive=false", headers=admin.headers).get_json()["items"]
    assert [user["id"] for user in inactive] == [gone.id]
    active = client.get("/v1/users?isActive=true", headers=admin.headers).get_json()["items"]
    assert gone.id not in [user["id"] for user in active]


@pytest.mark.parametrize("value", [1, 0, "true", None])
def test_json_booleans_are_only_true_or_false(client, actors, value):
    admin = actors.admin()
    member = actors.member(actors.partner())
    response = client.patch(f"/v1/users/{member.id}/status", headers=admin.headers, json={"isActive": value})
    assert_error_shape(response, 422)
    assert "isActive" in response.get_json()["errors"]


def test_a_request_id_that_is_not_plain_ascii_is_replaced(client):
    odd = "١٢٣٤٥٦٧٨٩".encode().decode("latin-1")
    assert client.get("/healthz", headers={"X-Request-ID": odd}).headers["X-Request-ID"] != odd
