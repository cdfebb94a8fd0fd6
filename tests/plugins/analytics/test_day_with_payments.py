"""A realistic day driven entirely through the API with the real payments plugin on the Stripe sandbox:
the rollups equal the rebuild from the facts to the cent, and the reports equal what the API answered."""
import datetime as dt

import pytest

from pc_app.testing import EVENT_RECORDER

from .conftest import get_json

ICP = {"industries": ["saas", "fintech", "retail"]}


@pytest.fixture
def app_config(app_config, stripe_sandbox):
    # The real payments plugin instead of the contract stand-in (they declare the same events).
    return {**app_config, **stripe_sandbox.app_settings,
            "PC_PLUGINS": ["analytics", "marketplace", "registration", "payments", "event_recorder"],
            "PC_EXTRA_PLUGINS": dict(EVENT_RECORDER), "REGISTRATION_RATELIMIT": "1000 per minute",
            "STRIPE_TIMEOUT_SECONDS": 2.0, "STRIPE_MAX_NETWORK_RETRIES": 1}


def ok(response, status=200) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    return response.get_json()


class Api:
    def __init__(self, client, stripe):
        self.client, self.stripe = client, stripe
        self.n = 0

    def deliver_webhooks(self):
        for event_type, response in self.stripe.deliver_webhooks(self.client):
            assert response.status_code == 200, event_type

    def onboard(self, seller):
        ok(self.client.post("/v1/payments/connect/onboarding", headers=seller.headers))
        account = ok(self.client.get("/v1/payments/connect/status", headers=seller.headers))["accountId"]
        self.stripe.admin.complete_onboarding(account)
        self.deliver_webhooks()

    def listed(self, seller, price, industry) -> str:
        self.n += 1
        lead = ok(self.client.post("/v1/leads", headers=seller.headers, json={
            "firstName": f"Lead{self.n}", "lastName": "Doe", "email": f"lead{self.n}@prospect.test",
            "company": f"Prospect {self.n}", "industry": industry, "country": "US"}), 201)
        ok(self.client.post(f"/v1/marketplace/leads/{lead['id']}/list", json={"price": price},
                            headers=seller.headers), 201)
        return lead["id"]

    def view(self, buyer, lead_id):
        ok(self.client.get(f"/v1/marketplace/leads/{lead_id}", headers=buyer.headers))

    def reserve(self, buyer, lead_id) -> str:
        return ok(self.client.post(f"/v1/marketplace/leads/{lead_id}/reserve", headers=buyer.headers), 201)["id"]

    def buy(self, buyer, reservation_id, card="pm_card_visa"):
        return self.client.post("/v1/marketplace/purchases", headers=buyer.headers,
                                json={"reservationId": reservation_id, "paymentMethodId": card})


def test_a_day_of_real_trading_folds_into_rollups_equal_to_the_rebuild_and_to_the_apis_answers(
        app, client, actors, stripe_sandbox, jobs, events, rollup):
    from plugins.analytics.services.rebuild import compare_rollups, rebuild

    stripe_sandbox.reset()
    api = Api(client, stripe_sandbox)
    admin = actors.admin()
    sellers = [actors.partner_owner(name=f"Seller {i}") for i in range(2)]
    buyers = [actors.partner_owner(name=f"Buyer {i}", icp=ICP) for i in range(3)]
    for seller in sellers:
        api.onboard(seller)
    industries = ("saas", "fintech", "retail")
    leads = [api.listed(sellers[i % 2], 1_000 * (i + 7), industries[i % 3]) for i in range(9)]
    for i, lead in enumerate(leads):
        for buyer in buyers[: 1 + i % 3]:
            api.view(buyer, lead)
    ok(client.delete(f"/v1/marketplace/leads/{leads[8]}/list", headers=sellers[0].headers))

    purchases = []
    for i, lead in enumerate(leads[:6]):
        buyer = buyers[i % 3]
        hold = api.reserve(buyer, lead)
        if i == 1:
            ok(client.patch(f"/v1/marketplace/reservations/{hold}/extend", headers=buyer.headers))
        if i == 2:
            assert api.buy(buyer, hold, "pm_card_chargeDeclined").status_code == 402
        if i == 5:
            ok(client.delete(f"/v1/marketplace/reservations/{hold}", headers=buyer.headers))
            continue
        purchases.append(ok(api.buy(buyer, hold), 201))
    api.deliver_webhooks()
    refunded = purchases[1]
    ok(client.post(f"/v1/marketplace/purchases/{refunded['id']}/refund", json={"reason": "requested_by_customer"},
                   headers=admin.headers))
    ok(client.post("/v1/auth/register-partner", json={"companyName": "Newcomer", "name": "Nina New",
                                                       "email": "nina@newcomer.test"}), 202)
    newcomer = actors.partner(status="onboarding", icp=ICP)
    ok(client.post(f"/v1/partners/{newcomer.id}/activate", headers=admin.headers))
    jobs.run()

    with app.app_context():
        differences, in_flight, live, rebuilt, _facts = compare_rollups(None, None)
        report = rebuild()
    assert differences == [] and in_flight == [] and report.clean, report
    assert set(live) == set(rebuilt)
    for doc_id, doc in live.items():
        assert {**rollup(doc_id), "n": doc["n"]} == rebuilt[doc_id], doc_id

    names = events.names
    assert names.count("payments.purchase_succeeded") == 5 and names.count("payments.purchase_refunded") == 1
    market = get_json(client, "/v1/analytics/marketplace", admin)
    gross = sum(p["amount"] for p in purchases)
    assert (market["transactions"], market["grossGmv"], market["refundedGmv"]) == (5, gross, refunded["amount"])
    assert market["gmv"] == gross - refunded["amount"]
    assert market["platformRevenue"] == sum(p["platformFee"] for p in purchases) - refunded["platformFee"]
    assert market["sellerPayouts"] == sum(p["sellerPayout"] for p in purchases) - refunded["sellerPayout"]
    assert (market["listed"], market["delisted"], market["reserved"], market["extended"], market["cancelled"],
            market["failedPurchases"], market["refunds"]) == (9, 1, 6, 1, 1, 1, 1)
    assert market["views"] == 18 and market["newPartners"] == 1 and market["activatedPartners"] == 1
    assert market["medianHoursToSale"] == 0   # listed and sold within the hour

    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    seller = get_json(client, f"/v1/analytics/partner/{sellers[0].partner_id}", sellers[0])
    mine = [p for p in purchases if p["sellerPartnerId"] == sellers[0].partner_id]
    assert seller["seller"]["sold"] == len(mine) and seller["seller"]["listed"] == 5
    refunds = [p for p in mine if p["id"] == refunded["id"]]
    assert seller["seller"]["revenue"] == sum(p["sellerPayout"] for p in mine) - sum(p["sellerPayout"] for p in refunds)
    assert seller["series"][-1]["bucket"] == today
