"""PaymentIntents with Stripe's test payment methods: destination charges split to the cent, declines,
3-D Secure, Stripe's validations, confirming later and cancelling."""
import pytest
import requests
import stripe

from .conftest import pay


def test_a_destination_charge_splits_the_money_to_the_cent(sandbox, stripe_client, seller):
    intent = pay(stripe_client, seller, amount=12345, fee=2469, transfer_group="order-7")
    assert intent.status == "succeeded" and intent.amount_received == 12345
    charge = stripe_client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.status, charge.paid, charge.amount, charge.payment_intent) == ("succeeded", True, 12345, intent.id)
    assert charge.payment_method_details.card.last4 == "4242"
    transfer = stripe_client.v1.transfers.retrieve(charge.transfer)
    # The whole amount is transferred; the destination pays the application fee back (Stripe's flow of funds).
    assert (transfer.amount, transfer.destination, transfer.source_transaction) == (12345, seller, charge.id)
    assert transfer.transfer_group == "order-7"
    fee = stripe_client.v1.application_fees.retrieve(charge.application_fee)
    assert (fee.amount, fee.account, fee.charge) == (2469, seller, charge.id)

    balances = sandbox.admin.balances()
    platform = balances["accounts"][balances["platform"]]["available"]["usd"]
    payout = balances["accounts"][seller]["available"]["usd"]
    assert (platform, payout) == (2469, 9876) and platform + payout == 12345
    [payment] = stripe_client.v1.balance_transactions.list(options={"stripe_account": seller}).data
    assert (payment.type, payment.amount, payment.fee, payment.net) == ("payment", 12345, 2469, 9876)
    platform_types = sorted(t.type for t in stripe_client.v1.balance_transactions.list().data)
    assert platform_types == ["application_fee", "charge", "transfer"]


def test_success_emits_stripes_events(stripe_client, seller):
    intent = pay(stripe_client, seller)
    types = [e.type for e in reversed(stripe_client.v1.events.list().data)]
    assert types[types.index("payment_intent.created"):] == [
        "payment_intent.created", "charge.succeeded", "transfer.created", "application_fee.created",
        "payment_intent.succeeded"]
    succeeded = stripe_client.v1.events.list({"type": "payment_intent.succeeded"}).data[0]
    assert succeeded.data.object.id == intent.id and succeeded.data.object.status == "succeeded"
    assert stripe_client.v1.events.retrieve(succeeded.id).type == "payment_intent.succeeded"
    assert [e.type for e in stripe_client.v1.events.list({"type": "charge.*"}).data] == ["charge.succeeded"]


@pytest.mark.parametrize("card, code, decline_code", [
    ("pm_card_chargeDeclined", "card_declined", "generic_decline"),
    ("pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
    ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"),
])
def test_a_declined_card_is_a_402_with_its_decline_code(sandbox, stripe_client, seller, card, code, decline_code):
    with pytest.raises(stripe.CardError) as declined:
        pay(stripe_client, seller, card=card)
    error = declined.value
    assert error.http_status == 402 and error.code == code
    assert error.json_body["error"]["decline_code"] == decline_code and error.json_body["error"]["type"] == "card_error"
    intent = stripe_client.v1.payment_intents.retrieve(error.json_body["error"]["payment_intent"]["id"])
    assert intent.status == "requires_payment_method" and intent.last_payment_error.decline_code == decline_code
    charge = stripe_client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.status, charge.failure_code, charge.transfer) == ("failed", code, None)
    assert [e.type for e in stripe_client.v1.events.list({"types": ["charge.failed", "payment_intent.payment_failed"]})
            .data] == ["payment_intent.payment_failed", "charge.failed"]
    assert sandbox.admin.available(seller) == 0 and stripe_client.v1.transfers.list().data == []

    retried = stripe_client.v1.payment_intents.confirm(intent.id, {"payment_method": "pm_card_visa"})
    assert retried.status == "succeeded"  # another card on the same intent


def test_three_d_secure_completed_by_opening_the_url(sandbox, stripe_client, seller):
    intent = pay(stripe_client, seller, card="pm_card_authenticationRequired", return_url="http://app.test/paid")
    assert intent.status == "requires_action" and intent.client_secret.startswith(intent.id + "_secret_")
    assert intent.next_action.type == "redirect_to_url"
    assert sandbox.admin.available(seller) == 0
    challenge = requests.get(intent.next_action.redirect_to_url.url, allow_redirects=False, timeout=5)
    assert challenge.status_code == 302 and challenge.headers["Location"].startswith("http://app.test/paid?")
    assert f"payment_intent={intent.id}" in challenge.headers["Location"]
    finished = stripe_client.v1.payment_intents.retrieve(intent.id)
    assert finished.status == "succeeded" and finished.next_action is None
    charge = stripe_client.v1.charges.retrieve(finished.latest_charge)
    assert charge.payment_method_details.card.three_d_secure.result == "authenticated"
    assert sandbox.admin.available(seller) == 10000 - 2000
    types = [e.type for e in stripe_client.v1.events.list().data]
    assert types.index("payment_intent.succeeded") < types.index("payment_intent.requires_action")


def test_three_d_secure_completed_or_failed_by_an_admin_call(sandbox, stripe_client, seller):
    intent = pay(stripe_client, seller, card="pm_card_authenticationRequired")
    assert intent.next_action.type == "use_stripe_sdk"
    failed = sandbox.admin.authenticate(intent.id, succeed=False)
    assert failed["status"] == "requires_payment_method"
    assert failed["last_payment_error"]["code"] == "payment_intent_authentication_failure"
    again = stripe_client.v1.payment_intents.confirm(intent.id)
    assert again.status == "requires_action"
    assert sandbox.admin.authenticate(intent.id)["status"] == "succeeded"
    with pytest.raises(AssertionError):  # nothing left to authenticate
        sandbox.admin.authenticate(intent.id)


@pytest.mark.parametrize("params, param, code", [
    ({"amount": 49}, "amount", "amount_too_small"),
    ({"application_fee_amount": 10001}, "application_fee_amount", None),
    ({"transfer_data": {"destination": "acct_nobody"}}, "transfer_data[destination]", "resource_missing"),
])
def test_stripes_validations(stripe_client, seller, params, param, code):
    body = {"amount": 10000, "currency": "usd", "application_fee_amount": 100,
            "transfer_data": {"destination": seller}, **params}
    if params.get("amount") == 49:
        body["application_fee_amount"] = 10
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.payment_intents.create(body)
    assert refused.value.http_status == 400 and refused.value.param == param
    if code:
        assert refused.value.code == code
    assert stripe_client.v1.payment_intents.list().data == []  # nothing created


def test_a_destination_that_cannot_take_charges_is_refused(stripe_client, sandbox):
    pending = sandbox.connected_account(onboarded=False)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        pay(stripe_client, pending)
    assert refused.value.code == "insufficient_capabilities_for_transfer"


def test_an_application_fee_needs_a_destination(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.payment_intents.create({"amount": 1000, "currency": "usd", "application_fee_amount": 10})
    assert refused.value.param == "application_fee_amount"


def test_confirm_later_then_it_cannot_be_confirmed_or_cancelled_again(stripe_client, seller):
    intent = stripe_client.v1.payment_intents.create({"amount": 2500, "currency": "usd",
                                                      "transfer_data": {"destination": seller}})
    assert intent.status == "requires_payment_method" and intent.latest_charge is None
    with pytest.raises(stripe.InvalidRequestError) as no_method:
        stripe_client.v1.payment_intents.confirm(intent.id)
    assert no_method.value.code == "payment_intent_unexpected_state"
    ready = stripe_client.v1.payment_intents.update(intent.id, {"payment_method": "pm_card_visa"})
    assert ready.status == "requires_confirmation"
    assert stripe_client.v1.payment_intents.confirm(intent.id).status == "succeeded"
    for again in (stripe_client.v1.payment_intents.confirm, stripe_client.v1.payment_intents.cancel):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            again(intent.id)
        assert refused.value.code == "payment_intent_unexpected_state"


def test_cancel_a_payment_that_waits_for_authentication(stripe_client, seller):
    intent = pay(stripe_client, seller, card="pm_card_authenticationRequired")
    cancelled = stripe_client.v1.payment_intents.cancel(intent.id, {"cancellation_reason": "abandoned"})
    assert cancelled.status == "canceled" and cancelled.cancellation_reason == "abandoned"
    assert stripe_client.v1.events.list().data[0].type == "payment_intent.canceled"


def test_an_unknown_payment_method_is_refused(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.payment_intents.create({"amount": 1000, "currency": "usd", "payment_method": "pm_made_up"})
    assert refused.value.param == "payment_method"
    assert stripe_client.v1.payment_methods.retrieve("pm_card_visa").card.last4 == "4242"
