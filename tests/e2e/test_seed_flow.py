"""The seed flow across registration, HubSpot, payouts and marketplace, walked through the HTTP API (PRODUCT.md §1–§4).

Unlike the plugin suites, every installed plugin is enabled (the default ``app_config``), so the
onboarding checklist, listing and browsing see what the plugins contribute together. HubSpot is
the session's sandbox, walked like a browser: our authorize → sandbox consent → our callback.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from pc_app.testing import bearer

from .conftest import REDIRECT_URI

pytestmark = pytest.mark.e2e

PASSWORD = "Seed-Flow-Passphrase-2026"
FRONTEND = "http://frontend.test/settings/integrations/hubspot"
SELLER_ICP = {"industries": ["saas"], "companySizes": ["51-200"], "countries": ["US"],
              "jobTitles": ["sales"], "seniorities": ["vp"]}
BUYER_ICP = {"industries": ["saas"], "company_sizes": ["51-200"], "countries": ["US"],
             "job_titles": ["sales"], "seniorities": ["vp"]}


def ok(response, status=200) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    return response.get_json()


def connect_hubspot(client, sandbox, headers, partner_id) -> tuple[dict, int]:
    """Authorize → sandbox consent (a fresh portal) → callback; returns the frontend outcome and the portal."""
    portal = sandbox.admin.create_portal()
    url = ok(client.get("/v1/integrations/hubspot/authorize", query_string={"partnerId": partner_id},
                        headers=headers))["authorizationUrl"]
    assert url.startswith(sandbox.authorize_url + "?")
    consent = requests.get(url, params={"portal": portal}, allow_redirects=False, timeout=10)
    assert consent.status_code == 302, consent.text
    callback = consent.headers["Location"]
    assert callback.startswith(REDIRECT_URI + "?")
    answer = client.get(callback[len("http://localhost"):])
    assert answer.status_code == 302, answer.get_data(as_text=True)
    location = answer.headers["Location"]
    assert location.startswith(FRONTEND + "?"), location
    return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}, portal


def enable_payouts(client, sandbox, headers) -> str:
    """Our onboarding link → the Stripe sandbox's page (which finishes onboarding) → back to the frontend."""
    link = ok(client.post("/v1/payments/connect/onboarding", headers=headers))
    opened = requests.get(link["url"], allow_redirects=False, timeout=10)
    assert opened.status_code in (302, 303) and opened.headers["Location"].startswith("http://frontend.test/")
    for event_type, response in sandbox.deliver_webhooks(client):
        assert response.status_code == 200, (event_type, response.get_data(as_text=True))
    return ok(client.get("/v1/payments/connect/status", headers=headers))["accountId"]


def onboarding(client, headers, partner_id) -> dict:
    return ok(client.get(f"/v1/partners/{partner_id}/onboarding", headers=headers))


def test_seed_flow_register_connect_list_browse_delist(app, client, outbox, actors, events, hubspot_sandbox,
                                                       stripe_sandbox):
    stripe_sandbox.reset()
    loaded = {plugin["name"] for plugin in ok(client.get("/v1/plugins"))}
    assert {"registration", "hubspot", "marketplace", "payments", "event_recorder"} <= loaded

    # 1. The seller company registers, verifies from the mail, configures its ICP and activates.
    registered = client.post("/v1/auth/register-partner", json={
        "companyName": "Seed Sellers", "name": "Sam Seller", "email": "sam@seedsellers.test",
        "website": "https://seedsellers.test"})
    assert registered.status_code == 202, registered.get_json()
    [verification] = outbox()
    assert verification["to"] == "sam@seedsellers.test"
    match = re.search(r"http://frontend\.test/verify\?token=([A-Za-z0-9_\-]+)", verification["text"])
    assert match, verification["text"]

    session = ok(client.post("/v1/auth/verify-registration", json={"token": match.group(1), "password": PASSWORD}))
    assert {"accessToken", "refreshToken", "user"} <= set(session)
    seller = bearer(session["accessToken"])
    me = ok(client.get("/v1/auth/me", headers=seller))
    partner_id = me["partnerId"]
    assert me["email"] == "sam@seedsellers.test" and me["isPartnerOwner"] is True
    assert not {"password", "passwordHash", "accessToken", "refreshToken"} & set(me)
    assert ok(client.get(f"/v1/partners/{partner_id}", headers=seller))["status"] == "onboarding"
    assert outbox()[0]["subject"].startswith("Welcome")

    checklist = onboarding(client, seller, partner_id)
    assert [s["key"] for s in checklist["steps"]] == ["icpConfigured", "hubspotConnected", "payoutsEnabled",
                                                      "firstLeadListed"]
    assert checklist["total"] == 4 and checklist["completed"] == 0 and checklist["percent"] == 0
    assert checklist["canActivate"] is False

    ok(client.patch(f"/v1/partners/{partner_id}", json={"icp": SELLER_ICP}, headers=seller))
    checklist = onboarding(client, seller, partner_id)
    assert checklist["percent"] == 25 and checklist["canActivate"] is True
    ok(client.post(f"/v1/partners/{partner_id}/activate", headers=seller))
    assert ok(client.get(f"/v1/partners/{partner_id}", headers=seller))["status"] == "active"

    # 2. The seller connects HubSpot through the sandbox; the pipeline is created.
    outcome, portal = connect_hubspot(client, hubspot_sandbox, seller, partner_id)
    assert outcome == {"status": "success"}
    status = ok(client.get(f"/v1/integrations/hubspot/{partner_id}/status", headers=seller))
    assert status["connected"] is True and status["status"] == "healthy" and status["hubId"] == portal
    assert status["pipelineId"]
    assert [p["id"] for p in hubspot_sandbox.admin.portal(portal)["pipelines"]
            if p["label"] == "Partner Connector"] == [status["pipelineId"]]
    checklist = onboarding(client, seller, partner_id)
    assert {s["key"]: s["done"] for s in checklist["steps"]} == {
        "icpConfigured": True, "hubspotConnected": True, "payoutsEnabled": False, "firstLeadListed": False}
    assert checklist["percent"] == 50

    # 2b. The seller enables payouts through Stripe's onboarding link (the sandbox's page finishes it).
    assert enable_payouts(client, stripe_sandbox, seller).startswith("acct_")
    assert onboarding(client, seller, partner_id)["percent"] == 75

    # 3. The seller creates two leads and lists one for $25.00.
    john = ok(client.post("/v1/leads", json={
        "firstName": "John", "lastName": "Smith", "email": "john.smith@example.com", "phone": "+14155550123",
        "company": "Globex", "jobTitle": "VP of Sales", "seniority": "vp", "industry": "saas",
        "companySize": "51-200", "country": "US"}, headers=seller), 201)
    mary = ok(client.post("/v1/leads", json={
        "firstName": "Mary", "lastName": "Major", "email": "mary@initech.test", "company": "Initech",
        "industry": "fintech", "companySize": "11-50", "country": "GB"}, headers=seller), 201)
    listing = ok(client.post(f"/v1/marketplace/leads/{john['id']}/list", json={"price": 2500}, headers=seller), 201)
    assert listing["status"] == "listed" and listing["price"] == 2500 and listing["leadId"] == john["id"]
    checklist = onboarding(client, seller, partner_id)
    assert checklist["percent"] == 100 and checklist["completed"] == 4

    # 4. A buyer whose ICP fits browses (masked, scored), opens the lead (unmasked); the seller sees the view.
    buyer = actors.partner_owner(name="Buyer Co", status="active", icp=BUYER_ICP)
    page = ok(client.get("/v1/marketplace/leads", headers=buyer.headers))
    assert page["total"] == 1 and [c["id"] for c in page["items"]] == [listing["id"]]
    card = page["items"][0]
    assert card["email"] == "j***@example.com" and card["phone"] == "+1 (415) ***-0123"
    assert "lastName" not in card and "notes" not in card
    assert card["firstName"] == "John" and card["price"] == 2500 and card["icpScore"] == 100

    detail = ok(client.get(f"/v1/marketplace/leads/{listing['leadId']}", headers=buyer.headers))
    assert detail["email"] == "john.smith@example.com" and detail["phone"] == "+14155550123"
    assert detail["lastName"] == "Smith" and "notes" not in detail

    mine = ok(client.get("/v1/marketplace/my-listings", headers=seller))
    assert mine["total"] == 1 and mine["items"][0]["id"] == listing["id"]
    assert mine["items"][0]["viewCount"] == 1 and mine["items"][0]["uniqueViewers"] == 1

    # 5. The seller still has both leads; it delists and the buyer's browse is empty.
    leads = ok(client.get("/v1/leads", headers=seller))
    assert leads["total"] == 2 and {lead["id"] for lead in leads["items"]} == {john["id"], mary["id"]}
    delisted = ok(client.delete(f"/v1/marketplace/leads/{john['id']}/list", headers=seller))
    assert delisted["status"] == "delisted"
    assert ok(client.get("/v1/marketplace/leads", headers=buyer.headers))["total"] == 0

    assert events.names == [
        "registration.partner_registered", "registration.partner_verified", "core.partner_updated",
        "registration.partner_activated", "hubspot.connected", "payments.payouts_enabled", "core.lead_created",
        "core.lead_created",
        "marketplace.lead_listed", "marketplace.lead_viewed", "marketplace.lead_delisted"]

    # Mail the seller noticed along the way: the verification link and the welcome, nothing else (HubSpot
    # mails only a failing connection; listing notices belong to the activity plugin, not installed here).
    assert [(m["to"], m["subject"].split()[0]) for m in outbox()] == [
        ("sam@seedsellers.test", "Welcome"), ("sam@seedsellers.test", "Verify")]
