"""Requests that walk the registration flow the way the frontend does, and the error-shape check."""
import re

PASSWORD = "Partner-Passphrase-2026"

SIGN_UP = {"companyName": "Acme Leads", "name": "Jane Doe", "email": "jane@acme.test",
           "website": "https://acme.test", "phone": "+14155550123"}


def post_registration(client, **changes):
    """POST /v1/auth/register-partner with a complete body, changed by ``changes`` (None drops a field)."""
    body = {**SIGN_UP, **changes}
    return client.post("/v1/auth/register-partner", json={k: v for k, v in body.items() if v is not None})


def register(client, **changes):
    """Register as the frontend does, then let a worker take the decision the request queued.

    The answer never waits for the decision (so that it cannot tell a known e-mail from a new
    one); in production a worker takes it a moment later.
    """
    from pc_app.testing import run_jobs

    response = post_registration(client, **changes)
    run_jobs(client.application, ["mail"])
    return response


def verify(client, token, password=PASSWORD):
    return client.post("/v1/auth/verify-registration", json={"token": token, "password": password})


def verify_link_token(mail: dict) -> str:
    """The token of the FRONTEND_URL/verify?token=... link in a mail (text and HTML carry the same)."""
    match = re.search(r"http://frontend\.test/verify\?token=([A-Za-z0-9_\-]+)", mail["text"])
    assert match, mail["text"]
    assert f"http://frontend.test/verify?token={match.group(1)}" in mail["html"]
    return match.group(1)


def mails_to(outbox_messages: list, address: str) -> list:
    return [m for m in outbox_messages if m["to"] == address]


def assert_error_shape(response, code):
    """Every 4xx body is {code, status, message, errors} with a sentence in message."""
    assert response.status_code == code, response.get_json()
    body = response.get_json()
    assert set(body) == {"code", "status", "message", "errors"}, body
    assert body["code"] == code and isinstance(body["errors"], dict)
    assert isinstance(body["message"], str) and body["message"].endswith((".", "!")), body
    return body
