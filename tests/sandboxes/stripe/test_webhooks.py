"""Events delivered to webhook endpoints with a real ``Stripe-Signature``; retries, duplicates, reordering,
and the recorded deliveries a test replays into an app running in-process."""
import json

import pytest
import stripe
from flask import Flask, request

from .conftest import pay


@pytest.fixture
def endpoint(stripe_client, receiver):
    """A webhook endpoint for every event, created through the API, at the receiver's URL."""
    url, received = receiver
    created = stripe_client.v1.webhook_endpoints.create({"url": url, "enabled_events": ["*"]})
    return created, received


def _events(received) -> list[dict]:
    return [json.loads(r["body"]) for r in received]


def test_endpoints_get_a_whsec_secret_and_signed_events_that_construct_event_verifies(
        sandbox, stripe_client, endpoint, seller):
    created, received = endpoint
    assert created.object == "webhook_endpoint" and created.secret.startswith("whsec_")
    assert "secret" not in stripe_client.v1.webhook_endpoints.retrieve(created.id)  # shown once, as Stripe does
    intent = pay(stripe_client, seller)
    assert sandbox.admin.wait_for_webhooks()
    succeeded = [r for r in received if json.loads(r["body"])["type"] == "payment_intent.succeeded"]
    [delivery] = succeeded
    event = stripe.Webhook.construct_event(delivery["body"], delivery["headers"]["Stripe-Signature"], created.secret)
    assert event.type == "payment_intent.succeeded" and event.data.object.id == intent.id
    assert delivery["headers"]["Content-Type"].startswith("application/json")

    tampered = delivery["body"].replace(str(intent.amount), str(intent.amount + 1))
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(tampered, delivery["headers"]["Stripe-Signature"], created.secret)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(delivery["body"], delivery["headers"]["Stripe-Signature"], "whsec_other")


def test_events_carry_the_request_and_its_idempotency_key(stripe_client):
    intent = stripe_client.v1.payment_intents.create({"amount": 1000, "currency": "usd"},
                                                     {"idempotency_key": "create-1"})
    [event] = stripe_client.v1.events.list({"type": "payment_intent.created"}).data
    assert event.request.idempotency_key == "create-1" and event.request.id == intent.last_response.request_id
    assert event.object == "event" and event.api_version and event.livemode is False


def test_a_failed_delivery_is_retried_with_backoff(sandbox, stripe_client, endpoint):
    created, received = endpoint
    sandbox.admin.configure(webhookRetryBaseMs=20)
    received.answer_with(500, 503)
    stripe_client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    assert sandbox.admin.wait_for_webhooks()
    [delivery] = sandbox.admin.signed_deliveries(endpoint=created.id)
    assert [a["status"] for a in delivery["attempts"]] == [500, 503, 200] and delivery["state"] == "delivered"
    assert len(received) == 3 and len({r["body"] for r in received}) == 1
    assert all(r["headers"]["Stripe-Signature"].startswith("t=") for r in received)  # each attempt signed anew


def test_admin_calls_resend_an_event_twice_and_deliver_a_batch_out_of_order(sandbox, stripe_client, endpoint):
    created, received = endpoint
    first = stripe_client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    second = stripe_client.v1.payment_intents.create({"amount": 2000, "currency": "usd"})
    assert sandbox.admin.wait_for_webhooks()
    received.clear()
    [event_one] = [e.id for e in stripe_client.v1.events.list().data if e.data.object.id == first.id]
    [event_two] = [e.id for e in stripe_client.v1.events.list().data if e.data.object.id == second.id]

    assert sandbox.admin.deliver_event(event_one, times=2, endpoint=created.id) == 2
    assert sandbox.admin.wait_for_webhooks()
    assert [e["id"] for e in _events(received)] == [event_one, event_one]

    received.clear()
    assert sandbox.admin.deliver_events([event_one, event_two], order="reversed") == [event_two, event_one]
    assert sandbox.admin.wait_for_webhooks()
    assert [e["id"] for e in _events(received)] == [event_two, event_one]  # one sender thread: sent in order


def test_held_events_are_released_in_reverse_order(sandbox, stripe_client, endpoint, seller):
    created, received = endpoint
    sandbox.admin.hold_webhooks()
    pay(stripe_client, seller)
    assert sandbox.admin.wait_for_webhooks() and received == []
    released = sandbox.admin.release_webhooks(order="reversed")
    assert sandbox.admin.wait_for_webhooks()
    order = [d["event"] for d in sandbox.admin.signed_deliveries(endpoint=created.id)]
    assert order == released and released[0] == stripe_client.v1.events.list().data[0].id  # newest first


def test_connect_endpoints_get_connected_accounts_events_only(sandbox, stripe_client, receiver):
    url, received = receiver
    connect = stripe_client.v1.webhook_endpoints.create({"url": url, "enabled_events": ["account.updated"],
                                                         "connect": True})
    account = sandbox.connected_account()
    stripe_client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    assert sandbox.admin.wait_for_webhooks()
    [event] = _events(received)
    assert (event["type"], event["account"]) == ("account.updated", account)
    stripe_client.v1.webhook_endpoints.update(connect.id, {"disabled": True})
    assert stripe_client.v1.webhook_endpoints.delete(connect.id).deleted is True
    assert stripe_client.v1.webhook_endpoints.list().data == []


def test_recorded_deliveries_are_replayed_into_an_app_running_in_process(sandbox, stripe_client, seller):
    """The fixture's sandbox records what it would send to ``http://localhost/v1/payments/webhooks/stripe``."""
    app, verified = Flask("webhook-receiver"), []

    @app.post("/v1/payments/webhooks/stripe")
    def receive():
        try:
            event = stripe.Webhook.construct_event(request.get_data(), request.headers["Stripe-Signature"],
                                                   sandbox.app_settings["STRIPE_WEBHOOK_SECRET"])
        except stripe.SignatureVerificationError:
            return "bad signature", 400
        verified.append(event.type)
        return "", 200

    pay(stripe_client, seller)
    answers = sandbox.deliver_webhooks(app.test_client())
    assert [status for _type, status in ((t, r.status_code) for t, r in answers)] == [200] * len(answers)
    assert "payment_intent.succeeded" in verified and "account.updated" in verified
    assert sandbox.deliver_webhooks(app.test_client()) == []  # each recorded delivery is handed out once
    recorded = sandbox.admin.signed_deliveries(type="payment_intent.succeeded")
    assert recorded[0]["state"] == "recorded" and recorded[0]["attempts"] == []
