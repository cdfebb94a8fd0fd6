"""``Idempotency-Key`` on every POST: replays, mismatches, concurrent requests, and retries after failures."""
import threading
import time

import pytest
import requests
import stripe

CREATE = {"amount": 4200, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}


def _creations(sandbox, key):
    return sandbox.admin.calls(route="/v1/payment_intents", method="POST", idempotencyKey=key)


def test_the_same_key_and_parameters_replay_the_first_answer(sandbox, stripe_client):
    first = stripe_client.v1.payment_intents.create(CREATE, {"idempotency_key": "order-1"})
    again = stripe_client.v1.payment_intents.create(CREATE, {"idempotency_key": "order-1"})
    assert again.id == first.id and again.last_response.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.last_response.headers
    assert len(stripe_client.v1.payment_intents.list().data) == 1
    assert [c["idempotentReplayed"] for c in _creations(sandbox, "order-1")] == [False, True]
    assert len(stripe_client.v1.charges.list().data) == 1  # charged once


def test_the_same_key_with_other_parameters_is_an_idempotency_error(stripe_client):
    stripe_client.v1.payment_intents.create(CREATE, {"idempotency_key": "order-2"})
    with pytest.raises(stripe.IdempotencyError) as mismatch:
        stripe_client.v1.payment_intents.create({**CREATE, "amount": 4300}, {"idempotency_key": "order-2"})
    assert mismatch.value.http_status == 400
    assert mismatch.value.json_body["error"]["type"] == "idempotency_error"
    with pytest.raises(stripe.IdempotencyError):  # nor on another endpoint
        stripe_client.v1.accounts.create({"type": "express"}, {"idempotency_key": "order-2"})


def test_ten_concurrent_requests_with_one_key_create_one_payment_intent(sandbox, stripe_client):
    sandbox.admin.add_latency(150, count=1, path="/v1/payment_intents")  # keeps the first in flight
    barrier, answers = threading.Barrier(10), []

    def create():
        barrier.wait()
        answers.append(stripe_client.v1.payment_intents.create(CREATE, {"idempotency_key": "order-3"}).id)

    threads = [threading.Thread(target=create) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(answers) == 10 and len(set(answers)) == 1
    calls = _creations(sandbox, "order-3")
    assert len(calls) == 10 and [c["idempotentReplayed"] for c in calls].count(False) == 1
    assert {c["status"] for c in calls} == {200}
    assert len(stripe_client.v1.payment_intents.list().data) == 1
    assert len(stripe_client.v1.charges.list().data) == 1


def test_a_concurrent_request_gets_409_when_told_to_conflict(sandbox):
    sandbox.admin.configure(idempotencyInFlight="conflict")
    sandbox.admin.add_latency(300, count=1, path="/v1/payment_intents")
    url, key = f"{sandbox.base_url}/v1/payment_intents", sandbox.secret_key
    form = {"amount": "1000", "currency": "usd"}
    first = []
    slow = threading.Thread(target=lambda: first.append(requests.post(
        url, data=form, auth=(key, ""), headers={"Idempotency-Key": "k4"}, timeout=10)))
    slow.start()
    while not any(k["key"] == "k4" and k["running"] for k in sandbox.admin.idempotency_keys()):
        time.sleep(0.005)  # until the slow one holds the key
    clash = requests.post(url, data=form, auth=(key, ""), headers={"Idempotency-Key": "k4"}, timeout=10)
    slow.join()
    assert clash.status_code == 409 and clash.json()["error"]["code"] == "idempotency_key_in_use"
    assert first[0].status_code == 200


def test_a_declined_payment_is_replayed_but_a_refused_request_is_not_kept(sandbox, stripe_client, seller):
    declined = {**CREATE, "payment_method": "pm_card_chargeDeclined"}
    with pytest.raises(stripe.CardError) as first:
        stripe_client.v1.payment_intents.create(declined, {"idempotency_key": "order-5"})
    with pytest.raises(stripe.CardError) as replay:
        stripe_client.v1.payment_intents.create(declined, {"idempotency_key": "order-5"})
    assert replay.value.headers["Idempotent-Replayed"] == "true"
    assert replay.value.json_body == first.value.json_body

    # A request refused before it ran keeps nothing: once the cause is fixed, the same key and parameters run.
    sandbox.admin.set_requirements(seller, "restricted")
    to_seller = {**CREATE, "application_fee_amount": 420, "transfer_data": {"destination": seller}}
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.payment_intents.create(to_seller, {"idempotency_key": "order-6"})
    assert refused.value.code == "insufficient_capabilities_for_transfer"
    sandbox.admin.complete_onboarding(seller)
    paid = stripe_client.v1.payment_intents.create(to_seller, {"idempotency_key": "order-6"})
    assert paid.status == "succeeded" and "Idempotent-Replayed" not in paid.last_response.headers


def test_the_sdk_retries_an_injected_500_with_the_same_key_and_pays_once(sandbox):
    sandbox.admin.fail_next(500, count=1, path="/v1/payment_intents")
    client = sandbox.client(max_network_retries=2)
    intent = client.v1.payment_intents.create(CREATE)
    assert intent.status == "succeeded"
    calls = sandbox.admin.calls(route="/v1/payment_intents", method="POST")
    assert [c["status"] for c in calls] == [500, 200]
    assert calls[0]["idempotencyKey"] == calls[1]["idempotencyKey"] is not None
    assert len(client.v1.payment_intents.list().data) == 1
