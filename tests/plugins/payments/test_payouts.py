"""Seller payouts: Connect onboarding through the account link, status, account.updated, the listing veto."""
from __future__ import annotations

import requests


def test_onboarding_creates_one_account_and_a_fresh_link_to_the_frontend(shop, client, stripe):
    seller = shop.seller(onboarded=False)
    first = client.post("/v1/payments/connect/onboarding", headers=seller.headers)
    second = client.post("/v1/payments/connect/onboarding", headers=seller.headers)
    assert first.status_code == 200 and second.status_code == 200
    assert first.get_json()["url"] != second.get_json()["url"] and first.get_json()["expiresAt"]
    accounts = stripe.client().v1.accounts.list({"limit": 100}).data
    assert len(accounts) == 1
    status = shop.status(seller)
    assert status["accountId"] == accounts[0].id
    assert (status["chargesEnabled"], status["payoutsEnabled"], status["detailsSubmitted"]) == (False, False, False)
    assert status["requirements"]["currentlyDue"]


def test_opening_the_link_enables_payouts_through_account_updated(shop, client, stripe, events):
    seller = shop.seller(onboarded=False)
    link = client.post("/v1/payments/connect/onboarding", headers=seller.headers).get_json()
    opened = requests.get(link["url"], allow_redirects=False, timeout=10)
    assert opened.status_code in (302, 303)
    assert opened.headers["Location"].startswith("http://frontend.test/settings/payouts")
    answers = shop.deliver()
    assert "account.updated" in [event_type for event_type, _ in answers]
    status = shop.status(seller)
    assert status["payoutsEnabled"] is True and status["chargesEnabled"] is True
    [enabled] = events.named("payments.payouts_enabled")
    assert enabled.partner_ids == (seller.partner_id,) and enabled.payload["accountId"] == status["accountId"]
    onboarding = client.get(f"/v1/partners/{seller.partner_id}/onboarding", headers=seller.headers)
    if onboarding.status_code == 200:  # only when the registration plugin is enabled
        assert any(step["key"] == "payoutsEnabled" and step["done"] for step in onboarding.get_json()["steps"])


def test_double_clicked_onboarding_creates_one_account(shop, app, stripe):
    from concurrent.futures import ThreadPoolExecutor

    seller = shop.seller(onboarded=False)
    stripe.admin.add_latency(300, count=2, path="/v1/accounts")

    def click(_):
        return app.test_client().post("/v1/payments/connect/onboarding", headers=seller.headers).status_code

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(click, range(2))) == [200, 200]
    assert len(stripe.client().v1.accounts.list({"limit": 100}).data) == 1


def test_only_the_partner_owner_starts_onboarding(shop, client, actors):
    seller = shop.seller(onboarded=False)
    member = actors.member(seller.partner)
    response = client.post("/v1/payments/connect/onboarding", headers=member.headers)
    assert response.status_code == 403
    assert client.get("/v1/payments/connect/status", headers=member.headers).status_code == 200


def test_listing_is_refused_with_409_naming_payouts_enabled_until_payouts_work(shop, client):
    seller = shop.seller(onboarded=False)
    lead_id = shop.lead(seller)
    refused = client.post(f"/v1/marketplace/leads/{lead_id}/list", json={"price": 5000}, headers=seller.headers)
    assert refused.status_code == 409 and "payoutsEnabled" in refused.get_json()["errors"]
    shop.onboard(seller)
    assert client.post(f"/v1/marketplace/leads/{lead_id}/list", json={"price": 5000},
                       headers=seller.headers).status_code == 201


def test_the_house_seller_lists_without_payouts(shop, client, actors):
    house = actors.partner_owner(is_platform=True)
    lead_id = shop.lead(house)
    assert client.post(f"/v1/marketplace/leads/{lead_id}/list", json={"price": 5000},
                       headers=house.headers).status_code == 201


def test_account_updated_restricting_an_account_is_reflected(shop, seller, stripe):
    account = shop.status(seller)["accountId"]
    stripe.admin.set_requirements(account, "restricted", ["external_account"])
    shop.deliver()
    status = shop.status(seller)
    assert status["payoutsEnabled"] is False and "external_account" in status["requirements"]["currentlyDue"]


def test_status_is_read_again_from_stripe_when_old(shop, seller, stripe, app):
    account = shop.status(seller)["accountId"]
    stripe.admin.set_requirements(account, "restricted", ["external_account"])
    stripe.admin.drain_recorded_webhooks()  # the webhook is lost: only reading Stripe again can tell
    assert shop.status(seller)["payoutsEnabled"] is True
    app.config["PAYMENTS_PAYOUT_STATUS_MAX_AGE_SECONDS"] = 0
    assert shop.status(seller)["payoutsEnabled"] is False


def test_stripe_down_during_onboarding_is_503_and_nothing_is_half_written(shop, client, stripe):
    seller = shop.seller(onboarded=False)
    stripe.admin.fail_next(503, count=2, path="/v1/accounts")  # the call and the SDK's one retry
    response = client.post("/v1/payments/connect/onboarding", headers=seller.headers)
    assert response.status_code in (502, 503) and "Stripe" in response.get_json()["message"]
    assert shop.status(seller)["accountId"] is None
    assert client.post("/v1/payments/connect/onboarding", headers=seller.headers).status_code == 200
