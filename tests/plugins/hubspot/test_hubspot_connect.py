"""Connecting a partner's HubSpot portal: OAuth through the sandbox, encrypted tokens, access rules."""
import json


def test_end_to_end_connect_refresh_and_disconnect(app, client, flow, sandbox, actors, raw_stored, hubspot_tokens,
                                                   events, jobs):
    owner = actors.partner_owner()
    sandbox.admin.configure(accessTokenTtl=540)  # 9 minutes: due for the 10-minute refresh sweep
    portal = sandbox.admin.create_portal()

    url = flow.authorization_url(owner)
    assert url.startswith(sandbox.authorize_url + "?")
    outcome = flow.connect(owner, portal)
    assert outcome == {"status": "success", "portal": portal}

    # Tokens are stored, but never in clear.
    access, refresh = hubspot_tokens(owner.partner_id)
    raw = json.dumps(raw_stored(owner.partner_id), default=str)
    assert access not in raw and refresh not in raw
    assert raw_stored(owner.partner_id)["access_token_enc"].startswith("v1.")

    status = client.get(f"/v1/integrations/hubspot/{owner.partner_id}/status", headers=owner.headers).get_json()
    assert status["connected"] is True and status["status"] == "healthy" and status["hubId"] == portal
    assert status["pipelineId"] and set(status["stageMapping"]) >= {"new", "won", "lost_no_show"}
    assert "crm.objects.deals.write" in status["scopes"]
    [pipeline] = [p for p in sandbox.admin.portal(portal)["pipelines"] if p["label"] == "Partner Connector"]
    assert pipeline["id"] == status["pipelineId"]
    assert [s["label"] for s in pipeline["stages"]] == ["New", "Scheduled", "In touch", "Won", "Lost"]
    assert [e.name for e in events] == ["hubspot.connected"]

    # The periodic job refreshes the token that expires within 10 minutes, then the sandbox
    # expiring the old one changes nothing for us.
    from pc_app.jobs import enqueue
    from plugins.hubspot.plugin import pc_register_jobs

    [spec] = pc_register_jobs()
    with app.app_context():
        enqueue(spec.func)
    jobs.run()
    new_access, new_refresh = hubspot_tokens(owner.partner_id)
    assert new_access != access and new_refresh != refresh
    assert sandbox.admin.portal(portal)["refreshTokens"] == {"active": 1, "revoked": 0, "rotated": 1}
    assert sandbox.admin.expire_tokens(access_token=access) == 1
    refreshed = client.get(f"/v1/integrations/hubspot/{owner.partner_id}/status", headers=owner.headers).get_json()
    assert refreshed["lastRefreshedAt"] >= status["lastRefreshedAt"] and refreshed["status"] == "healthy"

    # Disconnecting revokes the refresh token at HubSpot and erases ours.
    gone = client.delete(f"/v1/integrations/hubspot/{owner.partner_id}", headers=owner.headers)
    assert gone.status_code == 200, gone.get_json()
    assert gone.get_json()["revokedAtHubSpot"] is True and gone.get_json()["connected"] is False
    assert sandbox.admin.portal(portal)["refreshTokens"] == {"active": 0, "revoked": 1, "rotated": 1}
    doc = raw_stored(owner.partner_id)
    assert doc["status"] == "disconnected"
    assert "access_token_enc" not in doc and "refresh_token_enc" not in doc and "hub_id" not in doc
    assert [e.name for e in events] == ["hubspot.connected", "hubspot.disconnected"]


def test_authorize_url_carries_client_scopes_and_a_signed_state(client, flow, actors, app):
    from urllib.parse import parse_qs, urlparse

    owner = actors.partner_owner()
    query = parse_qs(urlparse(flow.authorization_url(owner)).query)
    assert query["client_id"] == [app.config["HUBSPOT_CLIENT_ID"]]
    assert query["redirect_uri"] == [app.config["HUBSPOT_REDIRECT_URI"]]
    assert "crm.objects.deals.write" in query["scope"][0].split()
    assert len(query["state"][0]) > 40


def test_platform_staff_may_connect_any_partner(flow, actors):
    partner = actors.partner()
    admin = actors.admin()
    portal = flow.sandbox.admin.create_portal()
    url = flow.authorization_url(admin, partner_id=str(partner.id))
    outcome = flow.callback(flow.consent(url, portal))
    assert outcome.status_code == 302 and "status=success" in outcome.headers["Location"]


def test_member_gets_403_and_foreign_partner_404(client, actors, connected):
    owner, _portal = connected
    member = actors.member(owner.partner)
    stranger = actors.partner_owner()
    base = "/v1/integrations/hubspot"
    pid = owner.partner_id
    assert client.get(f"{base}/authorize", query_string={"partnerId": pid}, headers=member.headers).status_code == 403
    assert client.post(f"{base}/{pid}/create-pipeline", headers=member.headers).status_code == 403
    assert client.delete(f"{base}/{pid}", headers=member.headers).status_code == 403
    assert client.get(f"{base}/{pid}/status", headers=member.headers).status_code == 200
    for response in (client.get(f"{base}/authorize", query_string={"partnerId": pid}, headers=stranger.headers),
                     client.get(f"{base}/{pid}/status", headers=stranger.headers),
                     client.post(f"{base}/{pid}/create-pipeline", headers=stranger.headers),
                     client.put(f"{base}/{pid}/stage-mapping", headers=stranger.headers,
                                json={"stageMapping": {}}),
                     client.delete(f"{base}/{pid}", headers=stranger.headers)):
        assert response.status_code == 404
        assert response.get_json()["message"] == "No such partner."
    assert client.get(f"{base}/{pid}/status").status_code == 401


def test_status_before_any_connection(client, actors):
    owner = actors.partner_owner()
    body = client.get(f"/v1/integrations/hubspot/{owner.partner_id}/status", headers=owner.headers).get_json()
    assert body["connected"] is False and body["status"] is None and body["hubId"] is None


def test_denied_consent_redirects_with_access_denied_and_stores_nothing(flow, actors, outcome_of, app, events):
    owner = actors.partner_owner()
    outcome = outcome_of(flow.callback(flow.consent(flow.authorization_url(owner), deny=True)))
    assert outcome == {"status": "error", "reason": "access_denied"}
    from plugins.hubspot.models import HubSpotConnection
    with app.app_context():
        assert HubSpotConnection.objects.count() == 0
    assert events == []


def test_forged_state_is_refused(flow, actors, outcome_of, sandbox):
    owner = actors.partner_owner()
    path = flow.consent(flow.authorization_url(owner))
    forged = path.replace("state=", "state=x")
    assert outcome_of(flow.callback(forged)) == {"status": "error", "reason": "invalid_state"}


def test_state_signed_with_another_secret_is_refused(flow, actors, outcome_of, sandbox):
    from itsdangerous import URLSafeTimedSerializer

    owner = actors.partner_owner()
    state = URLSafeTimedSerializer("not-our-secret", salt="hubspot-oauth-state").dumps(
        {"p": owner.partner_id, "u": owner.id, "n": "abc"})
    url = sandbox.admin.authorize_url(flow_redirect(), state=state)
    assert outcome_of(flow.callback(flow.consent(url))) == {"status": "error", "reason": "invalid_state"}


def flow_redirect():
    return "http://localhost/v1/integrations/hubspot/callback"


def test_expired_state_is_refused(flow, actors, outcome_of, sandbox, app):
    import time

    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    class ElevenMinutesAgo(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - 11 * 60

    owner = actors.partner_owner()
    state = URLSafeTimedSerializer(app.config["JWT_SECRET"], salt="hubspot-oauth-state", signer=ElevenMinutesAgo
                                   ).dumps({"p": owner.partner_id, "u": owner.id, "n": "n-1"})
    url = sandbox.admin.authorize_url(flow_redirect(), state=state)
    assert outcome_of(flow.callback(flow.consent(url))) == {"status": "error", "reason": "state_expired"}


def test_replayed_state_is_refused(flow, actors, outcome_of, sandbox):
    owner = actors.partner_owner()
    url = flow.authorization_url(owner)
    portal = sandbox.admin.create_portal()
    assert outcome_of(flow.callback(flow.consent(url, portal)))["status"] == "success"
    # Same state again, even with a brand-new code from HubSpot.
    assert outcome_of(flow.callback(flow.consent(url, portal))) == {"status": "error", "reason": "state_used"}


def test_code_exchange_failure_redirects_with_a_reason(flow, actors, outcome_of, app, events):
    owner = actors.partner_owner()
    path = flow.consent(flow.authorization_url(owner))
    bad_code = path.replace("code=", "code=bogus")
    response = flow.callback(bad_code)
    assert outcome_of(response) == {"status": "error", "reason": "code_exchange_failed"}
    assert events == []


def test_a_portal_belongs_to_one_partner(flow, actors, sandbox, stored):
    first = actors.partner_owner()
    portal = flow.connect(first)["portal"]
    second = actors.partner_owner()
    outcome = flow.connect(second, portal)
    assert outcome["status"] == "error" and outcome["reason"] == "portal_in_use"
    assert stored(first.partner_id).hub_id == portal


def test_after_disconnect_the_portal_may_go_to_another_partner(client, flow, actors, connected):
    owner, portal = connected
    assert client.delete(f"/v1/integrations/hubspot/{owner.partner_id}", headers=owner.headers).status_code == 200
    other = actors.partner_owner()
    assert flow.connect(other, portal)["status"] == "success"
    again = client.delete(f"/v1/integrations/hubspot/{owner.partner_id}", headers=owner.headers)
    assert again.status_code == 409


def test_onboarding_step_follows_the_connection(app, actors, connected, client):
    from pc_app.core.models import Partner

    owner, _portal = connected
    other = actors.partner_owner()
    from pc_app.toolkit import call_hook

    def step(partner_id):
        with app.app_context():
            answers = call_hook("pc_onboarding_steps", partner=Partner.objects(id=partner_id).get())
        [found] = [s for _plugin, steps in answers for s in steps if s.key == "hubspotConnected"]
        assert found.position == 20
        return found.done

    assert step(owner.partner_id) is True
    assert step(other.partner_id) is False


def test_disconnect_erases_tokens_even_when_hubspot_fails_to_revoke(client, connected, sandbox, raw_stored, events):
    owner, portal = connected
    sandbox.admin.fail_next(503, count=None, path="/oauth/v1/refresh-tokens")
    response = client.delete(f"/v1/integrations/hubspot/{owner.partner_id}", headers=owner.headers)
    assert response.status_code == 200
    assert response.get_json()["revokedAtHubSpot"] is False
    doc = raw_stored(owner.partner_id)
    assert doc["status"] == "disconnected" and "refresh_token_enc" not in doc
    assert events.named("hubspot.disconnected")[0].payload["revokedAtHubSpot"] is False


def test_callback_is_rate_limited(app, client):
    app.config["HUBSPOT_RATELIMIT_CALLBACK"] = "2 per minute"
    answers = [client.get("/v1/integrations/hubspot/callback?code=x&state=y").status_code for _ in range(3)]
    assert answers == [302, 302, 429]


def test_openapi_documents_the_hubspot_routes(client):
    spec = client.get("/openapi.json").get_json()
    paths = spec["paths"]
    for path in ("/v1/integrations/hubspot/authorize", "/v1/integrations/hubspot/callback",
                 "/v1/integrations/hubspot/{partner_id}/status", "/v1/integrations/hubspot/{partner_id}/create-pipeline",
                 "/v1/integrations/hubspot/{partner_id}/stage-mapping", "/v1/integrations/hubspot/{partner_id}",
                 "/v1/integrations/hubspot/webhooks"):
        assert path in paths, path
    assert "502" in paths["/v1/integrations/hubspot/{partner_id}/create-pipeline"]["post"]["responses"]
