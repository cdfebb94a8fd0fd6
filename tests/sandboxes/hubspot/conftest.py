"""Fixtures for the sandbox's own tests: a blank sandbox per test and an OAuth-connected SDK client."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
import requests
from hubspot import HubSpot

REDIRECT_URI = "http://app.test/v1/integrations/hubspot/callback"


@pytest.fixture
def sandbox(hubspot_sandbox):
    """The session's sandbox, reset to nothing before the test."""
    hubspot_sandbox.admin.reset()
    return hubspot_sandbox


def consent(sandbox, portal=None, **params) -> dict:
    """Follow the sandbox's consent screen like a browser; returns the redirect's query parameters."""
    url = sandbox.admin.authorize_url(REDIRECT_URI, state="s-1", portal=portal,
                                      scope="oauth crm.objects.deals.read")
    response = requests.get(url, params=params, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}


def exchange(sandbox, code: str):
    return HubSpot(host=sandbox.base_url).oauth.tokens_api.create(
        grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI,
        client_id=sandbox.client_id, client_secret=sandbox.client_secret)


@pytest.fixture
def connect(sandbox):
    """``connect(portal=None)`` → (tokens, hub id, SDK client) for a portal that consented."""
    def _connect(portal=None):
        tokens = exchange(sandbox, consent(sandbox, portal)["code"])
        info = HubSpot(host=sandbox.base_url).oauth.access_tokens_api.get(tokens.access_token)
        return tokens, info.hub_id, HubSpot(access_token=tokens.access_token, host=sandbox.base_url)
    return _connect
