"""Stripe's webhook: signatures on the raw body, duplicates, tampering, any order; late successes after expiry."""
from __future__ import annotations

import json
import time

from plugins.payments import jobs as payment_jobs
from plugins.payments.services import reservations as reservation_service

WEBHOOK = "/v1/payments/webhooks/stripe"


def _post(client, delivery, body: bytes | None = None):
    return client.post(WEBHOOK, data=body if body is not None else delivery["body"].encode(),
                       headers={"Stripe-Signature": delivery["headers"]["Stripe-Signature"],
                                "Content-Type": "application/json"})


def test_a_replayed_event_is_a_duplicate_that_changes_nothing(shop, seller, buyer, client, stripe, events):
    reservation = shop.reserved(buyer, shop.listed(seller))
    action = shop.buy(buyer, reservation["id"], "pm_card_authenticationRequired").get_json()
    intent = client.get(f"/v1/marketplace/purchases/{action['purchaseId']}",
                        headers=buyer.headers).get_json()["paymentIntentId"]
    stripe.admin.drain_recorded_webhooks()
    stripe.admin.authenticate(intent)
    [succeeded] = [d for d in stripe.admin.drain_recorded_webhooks() if d["type"] == "payment_intent.succeeded"]
    first, again = _post(client, succeeded), _post(client, succeeded)
    assert first.status_code == again.status_code == 200
    assert first.get_json()["duplicate"] is False and again.get_json()["duplicate"] is True
    assert len(events.named("payments.purchase_succeeded")) == 1
    assert client.get("/v1/invoices", headers=buyer.headers).get_json()["total"] == 1


def test_a_tampered_or_unsigned_body_is_400_and_changes_nothing(shop, seller, buyer, client, stripe):
    reservation = shop.reserved(buyer, shop.listed(seller))
    action = shop.buy(buyer, reservation["id"], "pm_card_authenticationRequired").get_json()
    intent = client.get(f"/v1/marketplace/purchases/{action['purchaseId']}",
                        headers=buyer.headers).get_json()["paymentIntentId"]
    stripe.admin.drain_recorded_webhooks()
    stripe.admin.authenticate(intent)
    [succeeded] = [d for d in stripe.admin.drain_recorded_webhooks() if d["type"] == "payment_intent.succeeded"]
    tampered = json.loads(succeeded["body"])
    tampered["data"]["object"]["amount"] = 1
    response = _post(client, succeeded, json.dumps(tampered).encode())
    assert response.status_code == 400 and set(response.get_json()) == {"code", "status", "message", "errors"}
    unsigned = client.post(WEBHOOK, data=succeeded["body"].encode(), headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 400
    garbage = client.post(WEBHOOK, data=b"\x00\xff not json", headers={"Stripe-Signature": "t=1,v1=00"})
    assert garbage.status_code == 400
    assert client.get(f"/v1/marketplace/purchases/{action['purchaseId']}",
                      headers=buyer.headers).get_json()["status"] == "requires_action"


def test_webhooks_delivered_out_of_order_end_in_the_same_state(shop, seller, buyer, client, stripe, events):
    reservation = shop.reserved(buyer, shop.listed(seller))
    assert shop.buy(buyer, reservation["id"], "pm_card_chargeDeclined").status_code == 402
    paid = shop.buy(buyer, reservation["id"]).get_json()
    answers = shop.deliver(order="reversed")  # the success first, the earlier decline last
    assert {"payment_intent.succeeded", "payment_intent.payment_failed"} <= {t for t, _ in answers}
    again = client.get(f"/v1/marketplace/purchases/{paid['id']}", headers=buyer.headers).get_json()
    assert again["status"] == "succeeded"
    assert client.get(f"/v1/marketplace/reservations/{reservation['id']}",
                      headers=buyer.headers).get_json()["status"] == "purchased"
    assert len(events.named("payments.purchase_succeeded")) == 1
    assert len(events.named("payments.purchase_failed")) == 1


def test_three_d_secure_webhooks_before_the_answer_was_read_in_reverse_order(shop, seller, buyer, client, stripe):
    reservation = shop.reserved(buyer, shop.listed(seller))
    action = shop.buy(buyer, reservation["id"], "pm_card_authenticationRequired").get_json()
    intent = client.get(f"/v1/marketplace/purchases/{action['purchaseId']}",
                        headers=buyer.headers).get_json()["paymentIntentId"]
    stripe.admin.authenticate(intent)
    shop.deliver(order="reversed")
    shop.deliver(order="reversed")  # nothing left, and nothing breaks
    purchase = client.get(f"/v1/marketplace/purchases/{action['purchaseId']}", headers=buyer.headers).get_json()
    assert purchase["status"] == "succeeded"
    # The buyer retrying the purchase now gets the same purchase; nothing is charged again.
    again = shop.buy(buyer, reservation["id"])
    assert again.status_code == 200 and again.get_json()["id"] == purchase["id"]
    assert len(shop.intents()) == 1


def _lapse_with_authentication_pending(shop, seller, buyer, app, client):
    app.config.update(PAYMENTS_RESERVATION_HOURS=0.0003, PAYMENTS_PAYMENT_HOLD_MINUTES=0.005)
    listing = shop.listed(seller)
    reservation = shop.reserved(buyer, listing)
    action = shop.buy(buyer, reservation["id"], "pm_card_authenticationRequired").get_json()
    intent = client.get(f"/v1/marketplace/purchases/{action['purchaseId']}",
                        headers=buyer.headers).get_json()["paymentIntentId"]
    time.sleep(1.2)
    with app.app_context():
        assert reservation_service.expire(reservation["id"]) is True
    return listing, reservation, action, intent


def test_a_late_success_after_expiry_completes_the_sale_when_nobody_holds_the_lead(shop, seller, buyer, app, client,
                                                                                  stripe, events):
    listing, reservation, action, intent = _lapse_with_authentication_pending(shop, seller, buyer, app, client)
    assert client.get("/v1/marketplace/my-listings", headers=seller.headers).get_json()["items"][0]["status"] == \
        "listed"
    stripe.admin.authenticate(intent)
    shop.deliver()
    purchase = client.get(f"/v1/marketplace/purchases/{action['purchaseId']}", headers=buyer.headers).get_json()
    assert purchase["status"] == "succeeded" and purchase["buyerLeadId"]
    assert client.get("/v1/marketplace/my-listings", headers=seller.headers).get_json()["items"][0]["status"] == "sold"
    assert len(events.named("payments.purchase_succeeded")) == 1


def test_a_late_success_after_someone_else_reserved_is_refunded_automatically(shop, seller, buyer, app, client,
                                                                             stripe, events):
    listing, reservation, action, intent = _lapse_with_authentication_pending(shop, seller, buyer, app, client)
    app.config["PAYMENTS_RESERVATION_HOURS"] = 168.0
    other = shop.buyer()
    shop.reserved(other, listing)
    stripe.admin.authenticate(intent)
    shop.deliver()
    purchase = client.get(f"/v1/marketplace/purchases/{action['purchaseId']}", headers=buyer.headers).get_json()
    assert purchase["status"] == "refunded" and purchase["refundReason"] == "listing_unavailable"
    refunds = stripe.client().v1.refunds.list({"limit": 10}).data
    assert len(refunds) == 1 and refunds[0].amount == purchase["amount"]
    account = shop.status(seller)["accountId"]
    assert stripe.admin.available(account) == 0 and stripe.admin.available(stripe.admin.balances()["platform"]) == 0
    assert client.get("/v1/marketplace/my-listings", headers=seller.headers).get_json()["items"][0]["status"] == \
        "reserved"
    assert events.named("payments.purchase_succeeded") == [] and events.named("payments.purchase_refunded") == []
    [failed] = events.named("payments.purchase_failed")
    assert failed.payload["reason"] == "listing_unavailable" and failed.payload["purchaseId"] == action["purchaseId"]
    assert client.get("/v1/leads", headers=buyer.headers).get_json()["total"] == 0


def test_the_sweeper_closes_an_abandoned_authentication_and_frees_the_lead(shop, seller, buyer, app, client, stripe):
    app.config.update(PAYMENTS_RESERVATION_HOURS=0.0003, PAYMENTS_PAYMENT_HOLD_MINUTES=0.005)
    listing = shop.listed(seller)
    reservation = shop.reserved(buyer, listing)
    action = shop.buy(buyer, reservation["id"], "pm_card_authenticationRequired").get_json()
    time.sleep(1.2)
    app.config["STRIPE_TIMEOUT_SECONDS"] = 2.0
    with app.app_context():
        from plugins.payments.models import Purchase
        Purchase.objects(id=action["purchaseId"]).update_one(set__lease_ms=0)  # its driver is long gone
    done = shop.run_in_app(payment_jobs.sweep)
    assert done["expired"] == 1
    purchase = client.get(f"/v1/marketplace/purchases/{action['purchaseId']}", headers=buyer.headers).get_json()
    assert purchase["status"] == "failed"
    intent = stripe.client().v1.payment_intents.retrieve(purchase["paymentIntentId"])
    assert intent.status == "canceled"
    assert client.get("/v1/marketplace/leads", headers=shop.buyer().headers).get_json()["total"] == 1


def test_account_updated_for_an_unknown_account_is_acknowledged(shop, client, stripe):
    stripe.connected_account()
    answers = shop.deliver()
    assert answers and all(response.get_json()["received"] for _, response in answers)


def test_two_attempts_that_both_succeed_sell_once_and_the_later_one_is_refunded(shop, seller, buyer, app, client,
                                                                                stripe, events):
    from plugins.payments.models import Purchase
    from plugins.payments.services import purchases

    reservation = shop.reserved(buyer, shop.listed(seller, price=10000))
    first = shop.buy(buyer, reservation["id"], "pm_card_authenticationRequired").get_json()
    with app.app_context():  # say a stray failure closed the first attempt while its 3-D Secure was still open
        purchases.record_failure(Purchase.objects(id=first["purchaseId"]).first(), reason="declined",
                                 decline_code=None, message=None)
    second = shop.buy(buyer, reservation["id"], "pm_card_visa").get_json()
    assert second["status"] == "succeeded"
    intent = client.get(f"/v1/marketplace/purchases/{first['purchaseId']}",
                        headers=buyer.headers).get_json()["paymentIntentId"]
    stripe.admin.authenticate(intent)  # the buyer finishes the first one after all
    shop.deliver()
    late = client.get(f"/v1/marketplace/purchases/{first['purchaseId']}", headers=buyer.headers).get_json()
    assert late["status"] == "refunded" and late["refundReason"] == "listing_unavailable"
    assert stripe.admin.available(shop.status(seller)["accountId"]) == 8000
    assert stripe.admin.available(stripe.admin.balances()["platform"]) == 2000
    assert len(events.named("payments.purchase_succeeded")) == 1
    assert client.get("/v1/leads", headers=buyer.headers).get_json()["total"] == 1


def test_a_webhook_whose_handler_cannot_finish_now_is_acknowledged_and_applied_later(shop, seller, buyer, app,
                                                                                     client, stripe, events):
    from plugins.payments.services import webhooks

    listing, reservation, action, intent = _lapse_with_authentication_pending(shop, seller, buyer, app, client)
    app.config["PAYMENTS_RESERVATION_HOURS"] = 168.0
    shop.reserved(shop.buyer(), listing)          # the late payment will have to be refunded...
    stripe.admin.authenticate(intent)
    stripe.admin.fail_next(503, count=2, path="/v1/refunds")  # ...while Stripe's refunds are down
    shop.deliver()                                # every delivery still answers 200
    assert client.get(f"/v1/marketplace/purchases/{action['purchaseId']}",
                      headers=buyer.headers).get_json()["status"] == "succeeded"
    with app.app_context():
        from plugins.payments.models import StripeEvent
        StripeEvent.objects.update(set__received_ms=0)  # past the sweeper's grace period
        assert webhooks.unprocessed()
    assert shop.run_in_app(payment_jobs.sweep)["failures"] == 0
    refunded = client.get(f"/v1/marketplace/purchases/{action['purchaseId']}", headers=buyer.headers).get_json()
    assert refunded["status"] == "refunded" and refunded["refundReason"] == "listing_unavailable"
    assert len(stripe.client().v1.refunds.list({"limit": 10}).data) == 1
