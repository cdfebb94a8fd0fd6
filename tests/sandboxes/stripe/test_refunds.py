"""Refunds: by PaymentIntent or charge, partial or full, reversing the transfer and refunding the
application fee in proportion, never beyond what remains."""
import pytest
import stripe

from .conftest import pay


def _available(sandbox):
    balances = sandbox.admin.balances()
    return {account: entry["available"].get("usd", 0) for account, entry in balances["accounts"].items()}


def test_refund_with_reverse_transfer_leaves_both_balances_right(sandbox, stripe_client, seller):
    platform = sandbox.platform_account
    intent = pay(stripe_client, seller, amount=10000, fee=2000)
    half = stripe_client.v1.refunds.create({"payment_intent": intent.id, "amount": 5000, "reverse_transfer": True,
                                            "refund_application_fee": True})
    assert (half.object, half.status, half.amount, half.charge) == ("refund", "succeeded", 5000, intent.latest_charge)
    reversal = stripe_client.v1.transfers.reversals.list(
        stripe_client.v1.charges.retrieve(intent.latest_charge).transfer).data[0]
    assert (reversal.id, reversal.amount, reversal.source_refund) == (half.transfer_reversal, 5000, half.id)
    assert _available(sandbox)[platform] == 1000 and _available(sandbox)[seller] == 4000  # both halved

    rest = stripe_client.v1.refunds.create({"charge": intent.latest_charge, "reverse_transfer": True,
                                            "refund_application_fee": True})
    assert rest.amount == 5000
    assert (_available(sandbox)[platform], _available(sandbox)[seller]) == (0, 0)
    charge = stripe_client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (10000, True)
    assert [r.id for r in charge.refunds.data] == [rest.id, half.id]
    transfer = stripe_client.v1.transfers.retrieve(charge.transfer)
    assert (transfer.amount_reversed, transfer.reversed) == (10000, True)
    fee = stripe_client.v1.application_fees.retrieve(charge.application_fee)
    assert (fee.amount_refunded, fee.refunded, len(fee.refunds.data)) == (2000, True, 2)
    refunded_events = stripe_client.v1.events.list({"type": "charge.refunded"}).data
    assert [e.data.object.amount_refunded for e in refunded_events] == [10000, 5000]


def test_uneven_partial_refunds_never_lose_a_cent(sandbox, stripe_client, seller):
    intent = pay(stripe_client, seller, amount=1001, fee=333)
    for amount in (333, 333, 335):
        stripe_client.v1.refunds.create({"payment_intent": intent.id, "amount": amount, "reverse_transfer": True,
                                         "refund_application_fee": True})
    assert (_available(sandbox)[sandbox.platform_account], _available(sandbox)[seller]) == (0, 0)


def test_a_refund_without_reversal_comes_from_the_platform(sandbox, stripe_client, seller):
    intent = pay(stripe_client, seller, amount=8000, fee=800)
    refund = stripe_client.v1.refunds.create({"payment_intent": intent.id, "reason": "requested_by_customer"})
    assert refund.amount == 8000 and refund.transfer_reversal is None
    assert _available(sandbox)[sandbox.platform_account] == 800 - 8000 and _available(sandbox)[seller] == 7200


def test_an_over_refund_is_refused_like_stripe(stripe_client, seller, sandbox):
    intent = pay(stripe_client, seller, amount=3000, fee=300)
    stripe_client.v1.refunds.create({"payment_intent": intent.id, "amount": 2000})
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        stripe_client.v1.refunds.create({"payment_intent": intent.id, "amount": 1001})
    assert too_much.value.http_status == 400 and too_much.value.param == "amount"
    assert too_much.value.user_message == ("Refund amount ($10.01) is greater than unrefunded amount on charge "
                                           "($10.00)")
    stripe_client.v1.refunds.create({"payment_intent": intent.id})
    with pytest.raises(stripe.InvalidRequestError) as nothing_left:
        stripe_client.v1.refunds.create({"charge": intent.latest_charge})
    assert nothing_left.value.code == "charge_already_refunded"
    assert len(stripe_client.v1.refunds.list({"payment_intent": intent.id}).data) == 2


def test_refunds_need_a_successful_charge(stripe_client, seller):
    with pytest.raises(stripe.InvalidRequestError) as neither:
        stripe_client.v1.refunds.create({"amount": 100})
    assert neither.value.code == "parameter_missing"
    unpaid = stripe_client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError) as not_paid:
        stripe_client.v1.refunds.create({"payment_intent": unpaid.id})
    assert not_paid.value.param == "payment_intent"
    plain = stripe_client.v1.payment_intents.create({"amount": 1000, "currency": "usd",
                                                     "payment_method": "pm_card_visa", "confirm": True})
    with pytest.raises(stripe.InvalidRequestError) as no_transfer:
        stripe_client.v1.refunds.create({"payment_intent": plain.id, "reverse_transfer": True})
    assert no_transfer.value.param == "reverse_transfer"
