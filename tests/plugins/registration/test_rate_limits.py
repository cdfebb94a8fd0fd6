"""The public registration routes are rate-limited per IP address and per e-mail, in Redis."""
import pytest

from pc_app.core.models import Partner

from .flows import assert_error_shape, register


@pytest.fixture
def app_config(app_config):
    return {**app_config, "REGISTRATION_RATELIMIT": "2 per minute"}


def _from(ip):
    return {"REMOTE_ADDR": ip}


def test_third_registration_from_one_address_is_429_with_retry_after(client, app):
    for i in range(2):
        assert register(client, email=f"person{i}@acme.test").status_code == 202
    response = register(client, email="person3@acme.test")
    body = assert_error_shape(response, 429)
    assert int(response.headers["Retry-After"]) > 0
    assert body["message"]
    with app.app_context():
        assert Partner.objects.count() == 2


def test_one_email_is_limited_across_addresses(app):
    client = app.test_client()
    for i in range(2):
        response = client.post("/v1/auth/register-partner", environ_base=_from(f"10.0.0.{i + 1}"),
                               json={"companyName": f"Co {i}", "name": "Jane", "email": "jane@acme.test"})
        assert response.status_code == 202
    response = client.post("/v1/auth/register-partner", environ_base=_from("10.0.0.9"),
                           json={"companyName": "Co 9", "name": "Jane", "email": "JANE@acme.test"})
    assert_error_shape(response, 429)
    assert "Retry-After" in response.headers


def test_resend_verification_is_rate_limited(client):
    for _ in range(2):
        assert client.post("/v1/auth/resend-verification", json={"email": "jane@acme.test"}).status_code == 202
    response = client.post("/v1/auth/resend-verification", json={"email": "jane@acme.test"})
    assert_error_shape(response, 429)
    assert "Retry-After" in response.headers


def test_verify_registration_is_rate_limited(client):
    for _ in range(2):
        client.post("/v1/auth/verify-registration", json={"token": "x" * 43, "password": "Whatever-123456"})
    response = client.post("/v1/auth/verify-registration", json={"token": "x" * 43, "password": "Whatever-123456"})
    assert_error_shape(response, 429)
