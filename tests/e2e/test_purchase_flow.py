"""A purchase with every installed plugin enabled: payouts, listing, reservation, card payment, invoices, refund."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def ok(response, status=200) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    return response.get_json()


def test_a_lead_is_bought_and_refunded_with_every_plugin_enabled(client, actors, stripe_sandbox, events):
    stripe_sandbox.reset()
    seller = actors.partner_owner(name="Seller Co")
    ok(client.post("/v1/payments/connect/onboarding", headers=seller.headers))
    account = ok(client.get("/v1/payments/connect/status", headers=seller.headers))["accountId"]
    stripe_sandbox.admin.complete_onboarding(account)
    for event_type, response in stripe_sandbox.deliver_webhooks(client):
        assert response.status_code == 200, event_type

    lead = ok(client.post("/v1/leads", json={"firstName": "Ann", "lastName": "Lee", "email": "ann@globex.test",
                                             "company": "Globex", "industry": "saas"}, headers=seller.headers), 201)
    ok(client.post(f"/v1/marketplace/leads/{lead['id']}/list", json={"price": 20000}, headers=seller.headers), 201)
    buyer = actors.partner_owner(name="Buyer Co", icp={"industries": ["saas"]})
    reservation = ok(client.post(f"/v1/marketplace/leads/{lead['id']}/reserve", headers=buyer.headers), 201)
    purchase = ok(client.post("/v1/marketplace/purchases", json={"reservationId": reservation["id"],
                                                                  "paymentMethodId": "pm_card_visa"},
                              headers={**buyer.headers, "Idempotency-Key": "e2e-1"}), 201)
    assert (purchase["platformFee"], purchase["sellerPayout"]) == (4000, 16000)
    for event_type, response in stripe_sandbox.deliver_webhooks(client):
        assert response.status_code == 200, event_type
    assert stripe_sandbox.admin.available(account) == 16000
    assert ok(client.get("/v1/invoices", headers=buyer.headers))["total"] == 1
    assert [item["source"] for item in ok(client.get("/v1/leads", headers=buyer.headers))["items"]] == ["marketplace"]

    refunded = ok(client.post(f"/v1/marketplace/purchases/{purchase['id']}/refund", json={"reason": "test"},
                              headers=actors.admin().headers))
    assert refunded["status"] == "refunded" and stripe_sandbox.admin.available(account) == 0
    assert ok(client.get("/v1/leads", headers=buyer.headers))["total"] == 0
    names = [name for name in events.names if name.startswith("payments.")]
    assert names == ["payments.payouts_enabled", "payments.lead_reserved", "payments.purchase_succeeded",
                     "payments.purchase_refunded"]


def test_each_party_reads_the_sale_in_its_own_words_and_owners_get_the_mail(client, actors, stripe_sandbox, jobs,
                                                                             outbox):
    # The payments plugin's pc_activity_types, read through the real activity plugin.
    stripe_sandbox.reset()
    seller = actors.partner_owner(name="Seller Co")
    seller_member = actors.member(seller.partner)
    ok(client.post("/v1/payments/connect/onboarding", headers=seller.headers))
    stripe_sandbox.admin.complete_onboarding(ok(client.get("/v1/payments/connect/status",
                                                           headers=seller.headers))["accountId"])
    stripe_sandbox.deliver_webhooks(client)
    lead = ok(client.post("/v1/leads", json={"firstName": "Ann", "lastName": "Lee", "email": "ann@globex.test",
                                             "company": "Globex", "industry": "saas"}, headers=seller.headers), 201)
    ok(client.post(f"/v1/marketplace/leads/{lead['id']}/list", json={"price": 20000}, headers=seller.headers), 201)
    buyer = actors.partner_owner(name="Buyer Co", icp={"industries": ["saas"]})
    reservation = ok(client.post(f"/v1/marketplace/leads/{lead['id']}/reserve", headers=buyer.headers), 201)
    ok(client.post("/v1/marketplace/purchases", json={"reservationId": reservation["id"],
                                                      "paymentMethodId": "pm_card_visa"}, headers=buyer.headers), 201)
    stripe_sandbox.deliver_webhooks(client)
    jobs.run()

    def sentences(actor, event_type):
        feed = ok(client.get("/v1/activities", query_string={"type": event_type}, headers=actor.headers))
        return [item["sentence"] for item in feed["items"]]

    assert sentences(seller, "payments.lead_reserved") == ["A buyer reserved Ann Lee (Globex) at $200.00."]
    assert sentences(seller, "payments.purchase_succeeded") == [
        "Ann Lee (Globex) sold for $200.00; your payout is $160.00."]
    [bought] = sentences(buyer, "payments.purchase_succeeded")
    # The buyer's user who paid is named, whoever completed the sale (the answer or Stripe's webhook).
    assert bought == f"{buyer.user.name} bought a lead for $200.00; it is now in your leads."
    assert sentences(seller_member, "payments.purchase_succeeded") == []   # money stays with owners
    assert sentences(seller_member, "payments.lead_reserved") != []
    sale_mail = [message for message in outbox() if "sold for $200.00" in message["text"]]
    assert [message["to"] for message in sale_mail] == [seller.user.email]


def test_the_parties_stay_anonymous_to_each_other_until_the_sale(app, client, actors, stripe_sandbox, jobs):
    # Browse hides the seller; the seller learns the buyer once sold (my-listings' sale.buyerPartnerId).
    import json

    from plugins.activity.models import WebhookDelivery

    stripe_sandbox.reset()
    seller = actors.partner_owner(name="Seller Co")
    ok(client.post("/v1/payments/connect/onboarding", headers=seller.headers))
    stripe_sandbox.admin.complete_onboarding(ok(client.get("/v1/payments/connect/status",
                                                           headers=seller.headers))["accountId"])
    stripe_sandbox.deliver_webhooks(client)
    buyer = actors.partner_owner(name="Buyer Co", icp={"industries": ["saas"]})
    for party in (seller, buyer):   # the receiver need not answer: the body is stored as it will be sent
        ok(client.post(f"/v1/partners/{party.partner_id}/webhooks", headers=party.headers,
                       json={"url": "http://127.0.0.1:9/hooks", "eventTypes": ["*"]}), 201)
    lead = ok(client.post("/v1/leads", json={"firstName": "Ann", "lastName": "Lee", "email": "ann@globex.test",
                                             "company": "Globex", "industry": "saas"}, headers=seller.headers), 201)
    ok(client.post(f"/v1/marketplace/leads/{lead['id']}/list", json={"price": 20000}, headers=seller.headers), 201)
    reservation = ok(client.post(f"/v1/marketplace/leads/{lead['id']}/reserve", headers=buyer.headers), 201)
    ok(client.patch(f"/v1/marketplace/reservations/{reservation['id']}/extend", headers=buyer.headers))
    ok(client.post("/v1/marketplace/purchases", json={"reservationId": reservation["id"],
                                                      "paymentMethodId": "pm_card_visa"}, headers=buyer.headers), 201)
    stripe_sandbox.deliver_webhooks(client)
    jobs.run()

    def seen(party, event_type) -> list[dict]:
        """The party's activity and webhook body of one event type."""
        feed = ok(client.get("/v1/activities", query_string={"type": event_type}, headers=party.headers))["items"]
        with app.app_context():
            hooks = [json.loads(d.body) for d in WebhookDelivery.objects(partner=party.partner_id,
                                                                        event_type=event_type)]
        assert len(feed) == 1 and len(hooks) == 1, (event_type, feed, hooks)
        return [feed[0], hooks[0]]

    for event_type in ("payments.lead_reserved", "payments.reservation_extended"):
        for item in seen(seller, event_type):
            assert buyer.partner_id not in str(item) and buyer.id not in str(item), item
            assert buyer.user.name not in str(item) and "buyerPartnerId" not in item["data"]
        mine, my_hook = seen(buyer, event_type)
        assert mine["actor"] == {"type": "user", "id": buyer.id, "name": buyer.user.name}
        assert mine["data"]["buyerPartnerId"] == my_hook["data"]["buyerPartnerId"] == buyer.partner_id
        assert "sellerPartnerId" not in mine["data"] and "sellerPartnerId" not in my_hook["data"]
    [matched, matched_hook] = seen(buyer, "marketplace.lead_listed")
    assert seller.partner_id not in str(matched) + str(matched_hook) and seller.user.name not in str(matched)
    assert seen(seller, "payments.reservation_extended")[0]["actor"] == {"type": "partner", "id": None, "name": None}

    # Sold: the sale names both parties to both, as the seller's listings do.
    for item in seen(seller, "payments.purchase_succeeded"):
        assert item["data"]["buyerPartnerId"] == buyer.partner_id
        assert item["data"]["sellerPartnerId"] == seller.partner_id and "paymentIntentId" not in item["data"]
    [sold] = ok(client.get("/v1/marketplace/my-listings", headers=seller.headers))["items"]
    assert sold["sale"]["buyerPartnerId"] == buyer.partner_id
