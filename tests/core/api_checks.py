"""Assertions and small request helpers shared by the core's tests."""
import re

from pc_app.testing import TEST_PASSWORD

NEW_PASSWORD = "Brand-New-Passphrase-42"


def sign_in(client, email, password=TEST_PASSWORD):
    return client.post("/v1/auth/sign-in", json={"email": email, "password": password})


def assert_error_shape(response, code):
    """Every 4xx/5xx body is {code, status, message, errors}."""
    assert response.status_code == code, response.get_json()
    body = response.get_json()
    assert set(body) == {"code", "status", "message", "errors"}, body
    assert body["code"] == code
    assert isinstance(body["status"], str) and body["status"]
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["errors"], dict)
    return body


def link_token(text: str) -> str:
    """The token of the first FRONTEND_URL/reset-password?token=... link in a mail."""
    match = re.search(r"http://frontend\.test/reset-password\?token=([A-Za-z0-9_\-]+)", text)
    assert match, text
    return match.group(1)
