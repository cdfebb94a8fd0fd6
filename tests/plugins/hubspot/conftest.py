"""Fixtures of the HubSpot plugin's tests: the plugin alone against the HubSpot sandbox.

(No ``__init__.py`` here on purpose: a test package named ``hubspot`` would shadow the SDK.)
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
import requests

from pc_app.testing import EVENT_RECORDER

REDIRECT_URI = "http://localhost/v1/integrations/hubspot/callback"
ENCRYPTION_KEY = "3f" * 32
FRONTEND = "http://frontend.test/settings/integrations/hubspot"


@pytest.fixture
def app_config(app_config, hubspot_sandbox):
    return {**app_config, **hubspot_sandbox.app_settings,
            "PC_PLUGINS": ["hubspot", "event_recorder"], "PC_EXTRA_PLUGINS": dict(EVENT_RECORDER),
            "ENCRYPTION_KEY": ENCRYPTION_KEY,
            "HUBSPOT_APP_SECRET": "webhook-app-secret", "HUBSPOT_REDIRECT_URI": REDIRECT_URI,
            # Small bounds so retries are exercised without slowing the suite down.
            "HUBSPOT_RETRY_ATTEMPTS": 3, "HUBSPOT_RETRY_BACKOFF_MS": 20, "HUBSPOT_RETRY_MAX_DELAY_MS": 50,
            "HUBSPOT_REFRESH_LOCK_WAIT_SECONDS": 10}


@pytest.fixture
def sandbox(hubspot_sandbox):
    """The HubSpot sandbox, blank for this test; ``sandbox.admin`` steers and inspects it."""
    hubspot_sandbox.admin.reset()
    return hubspot_sandbox


def frontend_outcome(response) -> dict:
    """The query of the callback's redirect to the frontend."""
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.startswith(FRONTEND + "?"), location
    return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}


class HubSpotFlow:
    """Walks the OAuth dance like a browser: our authorize → sandbox consent → our callback."""

    def __init__(self, client, sandbox):
        self.client, self.sandbox = client, sandbox

    def authorization_url(self, actor, partner_id=None) -> str:
        response = self.client.get("/v1/integrations/hubspot/authorize",
                                   query_string={"partnerId": partner_id or actor.partner_id}, headers=actor.headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["authorizationUrl"]

    def consent(self, url: str, portal: int | None = None, deny: bool = False) -> str:
        """Follow the consent screen; returns our callback's path and query."""
        params = {}
        if portal:
            params["portal"] = portal
        if deny:
            params["deny"] = "1"
        answer = requests.get(url, params=params, allow_redirects=False, timeout=10)
        assert answer.status_code == 302, answer.text
        location = answer.headers["Location"]
        assert location.startswith(REDIRECT_URI)
        return location[len("http://localhost"):]

    def callback(self, path: str):
        return self.client.get(path)

    def connect(self, actor, portal: int | None = None) -> dict:
        """The whole dance; returns the frontend outcome (``status``, maybe ``reason``)."""
        portal = portal or self.sandbox.admin.create_portal()
        outcome = frontend_outcome(self.callback(self.consent(self.authorization_url(actor), portal)))
        outcome["portal"] = portal
        return outcome


@pytest.fixture
def flow(client, sandbox):
    return HubSpotFlow(client, sandbox)


@pytest.fixture
def connected(flow, actors):
    """A partner owner whose HubSpot portal is connected (with the pipeline); returns (actor, hub id)."""
    owner = actors.partner_owner()
    outcome = flow.connect(owner)
    assert outcome["status"] == "success", outcome
    return owner, outcome["portal"]


def connection_of(app, partner_id):
    from plugins.hubspot.models import HubSpotConnection

    with app.app_context():
        return HubSpotConnection.objects(partner=str(partner_id)).get()


def raw_connection(app, partner_id) -> dict:
    from pc_app.db import database

    with app.app_context():
        return database()["hubspot_connections"].find_one({"partner": str(partner_id)})


@pytest.fixture
def outcome_of():
    """``outcome_of(response)``: the query of a callback's redirect to the frontend."""
    return frontend_outcome


@pytest.fixture
def stored(app):
    """``stored(partner_id)``: the partner's HubSpotConnection document as the app reads it."""
    return lambda partner_id: connection_of(app, partner_id)


@pytest.fixture
def raw_stored(app):
    """``raw_stored(partner_id)``: the raw MongoDB document, exactly as written to the database."""
    return lambda partner_id: raw_connection(app, partner_id)


@pytest.fixture
def hubspot_tokens(app):
    """``hubspot_tokens(partner_id)`` → (access, refresh) decrypted, as the plugin would use them."""
    def _tokens(partner_id):
        from plugins.hubspot import services

        connection = connection_of(app, partner_id)
        with app.app_context():
            return services.access_token_of(connection), services.refresh_token_of(connection)
    return _tokens
