"""Refunds (platform staff): Stripe gives everything back, credit notes, the buyer's copy goes, the seller's lead returns."""
from __future__ import annotations


def _refund(client, staff, purchase_id, reason="customer asked"):
    return client.post(f"/v1/marketplace/purchases/{purchase_id}/refund", json={"reason": reason},
                       headers=staff.headers)


def test_a_refund_reverses_the_transfer_and_the_fee_and_undoes_the_sale(shop, seller, buyer, client, stripe, actors,
                                                                       events):
    listing = shop.listed(seller, price=10000)
    purchase = shop.bought(buyer, listing)
    account = shop.status(seller)["accountId"]
    assert stripe.admin.available(account) == 8000
    staff = actors.admin()
    response = _refund(client, staff, purchase["id"])
    assert response.status_code == 200, response.get_json()
    refunded = response.get_json()
    assert refunded["status"] == "refunded" and refunded["refundReason"] == "customer asked"
    assert stripe.admin.available(account) == 0
    assert stripe.admin.available(stripe.admin.balances()["platform"]) == 0

    buyer_types = sorted(i["invoiceType"] for i in client.get("/v1/invoices", headers=buyer.headers)
                         .get_json()["items"])
    seller_types = sorted(i["invoiceType"] for i in client.get("/v1/invoices", headers=seller.headers)
                          .get_json()["items"])
    assert buyer_types == ["credit_note", "purchase"] and seller_types == ["payout", "payout_reversal"]
    credit = [i for i in client.get("/v1/invoices", headers=buyer.headers).get_json()["items"]
              if i["invoiceType"] == "credit_note"][0]
    assert credit["total"] == -10000

    assert client.get(f"/v1/leads/{purchase['buyerLeadId']}", headers=buyer.headers).status_code == 404
    restored = client.get(f"/v1/leads/{listing['leadId']}", headers=seller.headers).get_json()
    assert restored["readOnly"] is False
    assert listing["leadId"] in [lead["id"] for lead in client.get("/v1/leads", headers=seller.headers)
                                 .get_json()["items"]]
    [event] = events.named("payments.purchase_refunded")
    assert set(event.partner_ids) == {buyer.partner_id, seller.partner_id}
    assert (event.payload["amount"], event.payload["platformFee"], event.payload["sellerPayout"],
            event.payload["reason"]) == (10000, 2000, 8000, "customer asked")

    again = _refund(client, staff, purchase["id"])
    assert again.status_code == 200 and again.get_json()["status"] == "refunded"
    assert len(stripe.client().v1.refunds.list({"limit": 10}).data) == 1
    shop.deliver()  # charge.refunded arriving afterwards changes nothing
    assert len(events.named("payments.purchase_refunded")) == 1


def test_only_platform_staff_refund(shop, seller, buyer, client):
    purchase = shop.bought(buyer, shop.listed(seller))
    for actor in (buyer, seller):
        assert _refund(client, actor, purchase["id"]).status_code == 403


def test_an_unpaid_purchase_cannot_be_refunded_and_an_unknown_one_is_404(shop, seller, buyer, client, actors):
    reservation = shop.reserved(buyer, shop.listed(seller))
    failed = shop.buy(buyer, reservation["id"], "pm_card_chargeDeclined").get_json()
    purchase_id = client.get("/v1/marketplace/purchases", headers=buyer.headers).get_json()["items"][0]["id"]
    staff = actors.admin()
    response = _refund(client, staff, purchase_id)
    assert response.status_code == 409 and "notRefundable" in response.get_json()["errors"], failed
    assert _refund(client, staff, "0" * 24).status_code == 404
    assert client.post(f"/v1/marketplace/purchases/{purchase_id}/refund", json={},
                       headers=staff.headers).status_code == 422


def test_stripe_down_during_a_refund_changes_nothing_and_a_retry_refunds_once(shop, seller, buyer, client, stripe,
                                                                            actors):
    purchase = shop.bought(buyer, shop.listed(seller))
    staff = actors.admin()
    stripe.admin.fail_next(503, count=2, path="/v1/refunds")
    failed = _refund(client, staff, purchase["id"])
    assert failed.status_code in (502, 503) and "Stripe" in failed.get_json()["message"]
    assert client.get(f"/v1/marketplace/purchases/{purchase['id']}", headers=buyer.headers).get_json()["status"] == \
        "succeeded"
    assert _refund(client, staff, purchase["id"]).status_code == 200
    assert len(stripe.client().v1.refunds.list({"limit": 10}).data) == 1


def test_a_refund_made_in_stripes_dashboard_reaches_the_same_end(shop, seller, buyer, client, stripe, events):
    purchase = shop.bought(buyer, shop.listed(seller))
    stripe.client().v1.refunds.create({"payment_intent": purchase["paymentIntentId"], "reverse_transfer": True,
                                       "refund_application_fee": True})
    shop.deliver()
    assert client.get(f"/v1/marketplace/purchases/{purchase['id']}", headers=buyer.headers).get_json()["status"] == \
        "refunded"
    assert len(events.named("payments.purchase_refunded")) == 1
