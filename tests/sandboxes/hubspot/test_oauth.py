"""The sandbox's OAuth endpoints behave like HubSpot's for the unmodified hubspot-api-client."""
import json

import pytest
import requests
from hubspot import HubSpot
from hubspot.oauth import ApiException

from .conftest import consent, exchange


def test_consent_redirects_with_a_code_and_the_state(sandbox):
    params = consent(sandbox)
    assert params["state"] == "s-1"
    assert len(params["code"]) > 20


def test_denied_consent_redirects_with_access_denied(sandbox):
    params = consent(sandbox, deny="1")
    assert params["error"] == "access_denied"
    assert params["state"] == "s-1"
    assert "code" not in params


def test_code_exchange_gives_tokens_and_token_info_names_the_portal(sandbox):
    hub_id = sandbox.admin.create_portal()
    tokens = exchange(sandbox, consent(sandbox, portal=hub_id)["code"])
    assert tokens.token_type == "bearer" and tokens.expires_in == 1800
    info = HubSpot(host=sandbox.base_url).oauth.access_tokens_api.get(tokens.access_token)
    assert info.hub_id == hub_id
    assert info.scopes == ["oauth", "crm.objects.deals.read"]
    assert 1790 <= info.expires_in <= 1800


def test_a_code_works_only_once(sandbox):
    code = consent(sandbox)["code"]
    exchange(sandbox, code)
    with pytest.raises(ApiException) as failure:
        exchange(sandbox, code)
    assert failure.value.status == 400
    body = json.loads(failure.value.body)
    assert body["status"] == "BAD_AUTH_CODE" and body["error"] == "invalid_grant"


def test_refresh_rotates_the_refresh_token(sandbox, connect):
    tokens, hub_id, _client = connect()
    oauth = HubSpot(host=sandbox.base_url).oauth.tokens_api
    fresh = oauth.create(grant_type="refresh_token", refresh_token=tokens.refresh_token,
                         client_id=sandbox.client_id, client_secret=sandbox.client_secret)
    assert fresh.access_token != tokens.access_token and fresh.refresh_token != tokens.refresh_token
    with pytest.raises(ApiException) as failure:
        oauth.create(grant_type="refresh_token", refresh_token=tokens.refresh_token,
                     client_id=sandbox.client_id, client_secret=sandbox.client_secret)
    assert json.loads(failure.value.body)["status"] == "BAD_REFRESH_TOKEN"
    assert sandbox.admin.portal(hub_id)["refreshTokens"] == {"active": 1, "revoked": 0, "rotated": 1}


def test_wrong_client_secret_is_refused(sandbox):
    with pytest.raises(ApiException) as failure:
        HubSpot(host=sandbox.base_url).oauth.tokens_api.create(
            grant_type="authorization_code", code=consent(sandbox)["code"], redirect_uri="http://app.test/cb",
            client_id=sandbox.client_id, client_secret="nope")
    assert failure.value.status == 400


def test_revoked_refresh_token_no_longer_refreshes(sandbox, connect):
    tokens, hub_id, _client = connect()
    HubSpot(host=sandbox.base_url).oauth.refresh_tokens_api.archive(tokens.refresh_token)
    assert sandbox.admin.portal(hub_id)["refreshTokens"]["revoked"] == 1
    with pytest.raises(ApiException):
        HubSpot(host=sandbox.base_url).oauth.tokens_api.create(
            grant_type="refresh_token", refresh_token=tokens.refresh_token, client_id=sandbox.client_id,
            client_secret=sandbox.client_secret)


def test_crm_calls_need_a_live_bearer_token(sandbox, connect):
    tokens, hub_id, client = connect()
    missing = requests.get(f"{sandbox.base_url}/crm/v3/pipelines/deals", timeout=5)
    assert missing.status_code == 401
    assert missing.json()["category"] == "INVALID_AUTHENTICATION"
    assert client.crm.pipelines.pipelines_api.get_all("deals").results[0].id == "default"
    assert sandbox.admin.expire_tokens(portal=hub_id) == 1
    expired = requests.get(f"{sandbox.base_url}/crm/v3/pipelines/deals", timeout=5,
                           headers={"Authorization": f"Bearer {tokens.access_token}"})
    assert expired.status_code == 401
    assert expired.json()["category"] == "EXPIRED_AUTHENTICATION"


def test_short_token_lifetime_is_configurable(sandbox):
    sandbox.admin.configure(accessTokenTtl=540)
    assert exchange(sandbox, consent(sandbox)["code"]).expires_in == 540
