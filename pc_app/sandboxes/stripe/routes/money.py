"""What money movement leaves behind, read-only: charges, transfers and their reversals, application fees
and their refunds, balances and balance transactions, and the test PaymentMethods."""
from __future__ import annotations

from flask import Blueprint, g

from ..errors import StripeError
from ..ledger import balance_object
from ..params import EXPAND, LIST_PARAMS, Param
from ..payments import payment_method_object, test_card
from ..state import sandbox_state
from ..wire import answer, answer_list, answer_retrieved, request_params

money_blp = Blueprint("stripe_money", __name__)

RETRIEVE = {"expand": EXPAND}


def _filtered(kind: str, filters: tuple[str, ...]):
    params = request_params({**LIST_PARAMS, **{name: Param() for name in filters}})
    state = sandbox_state()
    with state.lock:
        items = [item for item in state.all_of(kind)
                 if all(params.get(name) in (None, item.get(name)) for name in filters)]
        return answer_list(items, params)


@money_blp.get("/v1/charges/<charge_id>")
def retrieve_charge(charge_id):
    return answer_retrieved("charge", charge_id, "charge")


@money_blp.get("/v1/charges")
def list_charges():
    return _filtered("charge", ("payment_intent", "transfer_group"))


@money_blp.get("/v1/transfers/<transfer_id>")
def retrieve_transfer(transfer_id):
    return answer_retrieved("transfer", transfer_id, "transfer")


@money_blp.get("/v1/transfers")
def list_transfers():
    return _filtered("transfer", ("destination", "transfer_group"))


@money_blp.get("/v1/transfers/<transfer_id>/reversals")
def list_reversals(transfer_id):
    params = request_params(LIST_PARAMS)
    state = sandbox_state()
    with state.lock:
        transfer = state.get("transfer", transfer_id, "id")
        return answer_list([r for r in state.all_of("transfer_reversal") if r["transfer"] == transfer["id"]], params)


def _child(kind: str, parent_field: str, parent_id: str, object_id: str):
    params = request_params(RETRIEVE)
    state = sandbox_state()
    with state.lock:
        child = state.get(kind, object_id, "id")
        if child[parent_field] != parent_id:
            raise StripeError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param="id")
        return answer(state.view(child["id"]), params)


@money_blp.get("/v1/transfers/<transfer_id>/reversals/<reversal_id>")
def retrieve_reversal(transfer_id, reversal_id):
    return _child("transfer_reversal", "transfer", transfer_id, reversal_id)


@money_blp.get("/v1/application_fees/<fee_id>/refunds/<refund_id>")
def retrieve_fee_refund(fee_id, refund_id):
    return _child("fee_refund", "fee", fee_id, refund_id)


@money_blp.get("/v1/application_fees/<fee_id>")
def retrieve_application_fee(fee_id):
    return answer_retrieved("application_fee", fee_id, "id")


@money_blp.get("/v1/application_fees")
def list_application_fees():
    return _filtered("application_fee", ("charge",))


@money_blp.get("/v1/application_fees/<fee_id>/refunds")
def list_fee_refunds(fee_id):
    params = request_params(LIST_PARAMS)
    state = sandbox_state()
    with state.lock:
        fee = state.get("application_fee", fee_id, "id")
        return answer_list([r for r in state.all_of("fee_refund") if r["fee"] == fee["id"]], params)


@money_blp.get("/v1/balance")
def retrieve_balance():
    """The balance of the platform, or of the connected account named by ``Stripe-Account``."""
    params = request_params(RETRIEVE)
    state = sandbox_state()
    with state.lock:
        return answer(balance_object(state, g.account), params)


@money_blp.get("/v1/balance_transactions")
def list_balance_transactions():
    """The platform's balance transactions, or a connected account's with ``Stripe-Account``."""
    params = request_params({**LIST_PARAMS, "type": Param(), "source": Param(), "currency": Param()})
    state = sandbox_state()
    with state.lock:
        items = [t for t in state.all_of("balance_transaction")
                 if state.private_of(t["id"]).get("account") == g.account
                 and all(params.get(name) in (None, t[name]) for name in ("type", "source", "currency"))]
        return answer_list(items, params)


@money_blp.get("/v1/balance_transactions/<txn_id>")
def retrieve_balance_transaction(txn_id):
    params = request_params(RETRIEVE)
    state = sandbox_state()
    with state.lock:
        txn = state.get("balance_transaction", txn_id, "id")
        if state.private_of(txn["id"]).get("account") != g.account:
            raise StripeError(404, f"No such balance_transaction: '{txn_id}'", code="resource_missing", param="id")
        return answer(state.view(txn["id"]), params)


@money_blp.get("/v1/payment_methods/<payment_method>")
def retrieve_payment_method(payment_method):
    """Stripe's test PaymentMethods (``pm_card_visa``...) are the only ones the sandbox knows."""
    params = request_params(RETRIEVE)
    try:
        card = test_card(payment_method)
    except StripeError:
        raise StripeError(404, f"No such PaymentMethod: '{payment_method}'", code="resource_missing",
                          param="payment_method") from None
    return answer(payment_method_object(card), params)
