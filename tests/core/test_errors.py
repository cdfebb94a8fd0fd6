"""One error shape for every 4xx/5xx (PRODUCT.md §5), request ids, CORS and rate limits."""
import logging

import pytest

from .api_checks import assert_error_shape, sign_in
from .conftest import throwaway


def test_unknown_route_is_404_in_the_error_shape(client):
    body = assert_error_shape(client.get("/v1/no-such-thing"), 404)
    assert body["status"] == "Not Found"


def test_wrong_method_is_405_with_allow_header(client):
    response = client.delete("/healthz")
    assert_error_shape(response, 405)
    assert "GET" in response.headers["Allow"]


def test_malformed_json_body_is_a_4xx_in_the_error_shape(client):
    response = client.post("/v1/auth/sign-in", data="{not json", content_type="application/json")
    assert 400 <= response.status_code < 500
    assert_error_shape(response, response.status_code)


def test_json_body_that_is_not_an_object_is_422(client):
    assert_error_shape(client.post("/v1/auth/sign-in", json=["a", "b"]), 422)


def test_misspelled_query_parameter_is_422_naming_it_not_silently_ignored(client, actors):
    owner = actors.partner_owner()
    body = assert_error_shape(client.get("/v1/leads?industy=saas", headers=owner.headers), 422)
    assert body["errors"] == {"industy": ["Unknown field."]}
    assert client.get("/v1/leads?industry=saas&page=1", headers=owner.headers).status_code == 200


def test_oversized_body_is_413_in_the_error_shape(client, actors):
    owner = actors.partner_owner()
    response = client.post("/v1/leads", headers=owner.headers,
                           json={"firstName": "A", "email": "a@example.com", "company": "x" * (3 * 1024 * 1024)})
    body = assert_error_shape(response, 413)
    assert "too large" in body["message"]


def test_every_response_carries_a_request_id(client):
    first, second = client.get("/healthz"), client.get("/v1/nothing")
    assert len(first.headers["X-Request-ID"]) >= 8
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_a_sane_incoming_request_id_is_kept_and_a_weird_one_replaced(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-12345-def"}).headers["X-Request-ID"] == "abc-12345-def"
    replaced = client.get("/healthz", headers={"X-Request-ID": "x"}).headers["X-Request-ID"]
    assert replaced != "x" and len(replaced) == 32


@pytest.fixture
def exploding_app(app_config):
    from pc_app import create_app

    return create_app({**app_config, "PC_PLUGINS": ["exploding"],
                       "PC_EXTRA_PLUGINS": {"exploding": throwaway("exploding")}})


def test_unexpected_exception_is_500_with_request_id_and_no_internals(exploding_app, caplog):
    from .throwaway_plugins.exploding import SECRET_DETAIL

    client = exploding_app.test_client()
    with caplog.at_level(logging.ERROR, logger="pc_app.api"):
        response = client.get("/v1/exploding")
    body = assert_error_shape(response, 500)
    request_id = response.headers["X-Request-ID"]
    assert request_id and request_id in body["message"]
    assert "hunter2" not in response.get_data(as_text=True)
    assert "RuntimeError" not in response.get_data(as_text=True)
    assert body["errors"] == {}
    # the log has what the answer hides, under the same request id
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged and SECRET_DETAIL in str(logged[0].exc_info[1])


# --- CORS --------------------------------------------------------------------------------------

@pytest.fixture
def cors_client(app_config):
    from pc_app import create_app

    return create_app({**app_config, "CORS_ORIGINS": ["https://app.example", "https://admin.example"]}).test_client()


def test_cors_allows_configured_origins(cors_client):
    response = cors_client.get("/healthz", headers={"Origin": "https://app.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert "X-Request-ID" in response.headers["Access-Control-Expose-Headers"]


def test_cors_preflight_for_an_authenticated_call(cors_client):
    response = cors_client.options("/v1/leads", headers={
        "Origin": "https://admin.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Authorization, Content-Type"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "https://admin.example"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "authorization" in response.headers["Access-Control-Allow-Headers"].lower()


def test_cors_ignores_other_origins(cors_client):
    response = cors_client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


# --- rate limits -----------------------------------------------------------------------------

@pytest.fixture
def limited_client(app_config):
    from pc_app import create_app
    from pc_app.testing import reset_state

    app = create_app({**app_config, "RATELIMIT_SIGN_IN": "3 per minute", "RATELIMIT_PUBLIC": "2 per minute"})
    reset_state(app)
    return app.test_client()


def test_sign_in_is_rate_limited_with_retry_after(limited_client):
    answers = [sign_in(limited_client, "someone@example.test", "Wrong-Password-1") for _ in range(4)]
    assert [r.status_code for r in answers] == [401, 401, 401, 429]
    body = assert_error_shape(answers[-1], 429)
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 60
    assert "try again" in body["message"].lower()


def test_sign_in_limit_also_counts_per_email_across_addresses(limited_client):
    for ip in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        sign_in(limited_client, "victim@example.test", "Guess-Password-1")
        limited_client.environ_base["REMOTE_ADDR"] = ip
    limited_client.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert sign_in(limited_client, "victim@example.test", "Guess-Password-1").status_code == 429
    assert sign_in(limited_client, "other@example.test", "Guess-Password-1").status_code == 401


def test_forgot_password_is_rate_limited_with_retry_after(limited_client):
    answers = [limited_client.post("/v1/auth/forgot-password", json={"email": "a@example.test"}) for _ in range(3)]
    assert [r.status_code for r in answers] == [202, 202, 429]
    assert_error_shape(answers[-1], 429)
    assert int(answers[-1].headers["Retry-After"]) > 0


# --- a dependency is down ----------------------------------------------------------------------

def test_redis_down_is_503_naming_redis(app_config, actors):
    from pc_app import create_app
    from pc_app.devstack import free_port

    token_headers = actors.partner_owner().headers
    app = create_app({**app_config, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    response = app.test_client().get("/v1/auth/me", headers=token_headers)
    body = assert_error_shape(response, 503)
    assert body["message"].startswith("Redis is unreachable")
    assert response.headers["Retry-After"]


def test_mongodb_down_is_503_naming_the_database(app_config, actors):
    from pc_app import create_app
    from pc_app.devstack import free_port

    token_headers = actors.partner_owner().headers
    app = create_app({**app_config, "MONGODB_URL": f"mongodb://127.0.0.1:{free_port()}/", "MONGODB_TIMEOUT_MS": 200})
    try:
        response = app.test_client().get("/v1/auth/me", headers=token_headers)
        body = assert_error_shape(response, 503)
        assert "MongoDB" in body["message"] and response.headers["X-Request-ID"] in body["message"]
    finally:
        create_app(dict(app_config))  # rebind the shared connection to the test database


def test_each_app_counts_rate_limits_in_its_own_redis(app_config, limited_client, pc_services, tmp_path):
    """Building a second app (another Redis) must not move the first app's counters."""
    from pc_app import create_app
    from pc_app.devstack import start_redis

    other_redis = start_redis(tmp_path)
    try:
        other = create_app({**app_config, "REDIS_URL": other_redis.url, "RATELIMIT_SIGN_IN": "3 per minute"})
        for _ in range(3):
            sign_in(limited_client, "a@example.test", "Wrong-Password-1")
        assert sign_in(limited_client, "a@example.test", "Wrong-Password-1").status_code == 429
        assert sign_in(other.test_client(), "a@example.test", "Wrong-Password-1").status_code == 401
    finally:
        other_redis.stop()
