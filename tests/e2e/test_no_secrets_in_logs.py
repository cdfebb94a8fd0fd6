"""A walk through the API at LOG_LEVEL=DEBUG, then a search of everything logged for the secrets it used.

Register → verify → sign in (and a wrong password) → refresh → create a lead → list → connect HubSpot
through the sandbox → queued jobs run → the cron endpoint and /metrics with their secrets. Every line
the app's loggers wrote (the JSON lines on stderr and the records pytest captured) is searched for
the password, the e-mailed token, the JWTs, the OAuth code, HubSpot's tokens and the app's secrets.
"""
from __future__ import annotations

import json
import logging
import re
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from pc_app.testing import bearer

from .conftest import REDIRECT_URI

pytestmark = pytest.mark.e2e

PASSWORD = "Walk-Through-Passphrase-2026"
CRON_SECRET = "cron-secret-of-the-log-walk-0123456789abcdef"
JWT_SECRET = "jwt-secret-of-the-log-walk-0123456789abcdefgh"
METRICS_TOKEN = "metrics-token-of-the-log-walk-0123456789"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "LOG_LEVEL": "DEBUG", "CRON_SECRET": CRON_SECRET, "JWT_SECRET": JWT_SECRET,
            "METRICS_TOKEN": METRICS_TOKEN}


def ok(response, status=200) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    return response.get_json()


@pytest.mark.parametrize("wire_debug", [False, True], ids=["libraries_at_info", "libraries_at_debug"])
def test_an_end_to_end_walk_at_debug_logs_no_secret(app, client, outbox, jobs, hubspot_sandbox, capsys, caplog,
                                                    wire_debug):
    caplog.set_level(logging.DEBUG)
    if wire_debug:  # even the wire-level dumps of MongoDB commands and HTTP calls go through the redaction
        from pc_app.structured_logs import WIRE_LOGGERS

        for name in WIRE_LOGGERS:
            caplog.set_level(logging.DEBUG, logger=name)
    capsys.readouterr()

    # Register, verify with the e-mailed token, sign in (once wrongly), refresh.
    ok(client.post("/v1/auth/register-partner", json={
        "companyName": "Log Walkers", "name": "Lou Walker", "email": "lou@logwalkers.test",
        "website": "https://logwalkers.test"}), 202)
    [verification] = outbox()
    verify_token = re.search(r"verify\?token=([A-Za-z0-9_\-]+)", verification["text"]).group(1)
    session = ok(client.post("/v1/auth/verify-registration", json={"token": verify_token, "password": PASSWORD}))
    assert client.post("/v1/auth/sign-in", json={"email": "lou@logwalkers.test",
                                                 "password": PASSWORD + "-wrong"}).status_code == 401
    signed_in = ok(client.post("/v1/auth/sign-in", json={"email": "lou@logwalkers.test", "password": PASSWORD}))
    refreshed = ok(client.post("/v1/auth/refresh", headers=bearer(signed_in["refreshToken"])))
    headers = bearer(refreshed["accessToken"])
    partner_id = ok(client.get("/v1/auth/me", headers=headers))["partnerId"]

    # A lead, the list, a malformed request.
    ok(client.post("/v1/leads", json={"firstName": "Ada", "lastName": "Byron", "email": "ada@example.com",
                                      "company": "Engines", "country": "GB"}, headers=headers), 201)
    assert ok(client.get("/v1/leads", headers=headers))["total"] == 1
    assert client.post("/v1/leads", json={"password": PASSWORD}, headers=headers).status_code == 422

    # HubSpot: our authorize URL → the sandbox's consent → our callback with the code.
    portal = hubspot_sandbox.admin.create_portal()
    url = ok(client.get("/v1/integrations/hubspot/authorize", query_string={"partnerId": partner_id},
                        headers=headers))["authorizationUrl"]
    consent = requests.get(url, params={"portal": portal}, allow_redirects=False, timeout=10)
    callback = consent.headers["Location"]
    assert callback.startswith(REDIRECT_URI + "?")
    oauth_code = parse_qs(urlparse(callback).query)["code"][0]
    assert client.get(callback[len("http://localhost"):]).status_code == 302
    assert ok(client.get(f"/v1/integrations/hubspot/{partner_id}/status", headers=headers))["connected"] is True

    # Background work, the cron endpoint and the metrics, each with its secret.
    jobs.run()
    ok(client.post("/v1/internal/cron/hubspot.refresh_tokens", headers={"X-Cron-Secret": CRON_SECRET}), 202)
    jobs.run()
    assert client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 200
    assert client.post("/v1/auth/sign-out", headers=headers).status_code == 204

    with app.app_context():
        from plugins.hubspot.models import HubSpotConnection
        from plugins.hubspot.services.tokens import access_token_of, refresh_token_of

        connection = HubSpotConnection.objects.get(partner=partner_id)
        hubspot_tokens = [access_token_of(connection), refresh_token_of(connection)]
    secrets = {
        "password": PASSWORD, "verification token": verify_token, "oauth code": oauth_code,
        "access token": session["accessToken"], "refresh token": session["refreshToken"],
        "second access token": signed_in["accessToken"], "refreshed access token": refreshed["accessToken"],
        "hubspot access token": hubspot_tokens[0], "hubspot refresh token": hubspot_tokens[1],
        "JWT_SECRET": JWT_SECRET, "CRON_SECRET": CRON_SECRET, "METRICS_TOKEN": METRICS_TOKEN,
        "ENCRYPTION_KEY": app.config["ENCRYPTION_KEY"], "HUBSPOT_CLIENT_SECRET": app.config["HUBSPOT_CLIENT_SECRET"],
        "HUBSPOT_APP_SECRET": app.config["HUBSPOT_APP_SECRET"],
    }

    stderr = capsys.readouterr().err
    lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    assert any(line["level"] == "debug" for line in lines)  # DEBUG was really on
    assert {"pc_app.mail", "rq.queue"} <= {line["logger"] for line in lines}
    if wire_debug:
        assert {"pymongo.command", "urllib3.connectionpool"} <= {line["logger"] for line in lines}
    captured = stderr + "\n".join(record.getMessage() for record in caplog.records)
    leaked = sorted(name for name, value in secrets.items() if value and value in captured)
    assert leaked == [], f"found in the logs: {leaked}"
