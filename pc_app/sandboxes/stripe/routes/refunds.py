"""``/v1/refunds``: refund a charge (named directly or through its PaymentIntent), retrieve, list."""
from __future__ import annotations

from flask import Blueprint

from ..errors import StripeError
from ..ledger import refund
from ..params import EXPAND, LIST_PARAMS, METADATA, Param
from ..state import sandbox_state
from ..wire import answer, answer_list, answer_retrieved, request_params

refunds_blp = Blueprint("stripe_refunds", __name__)

CREATE = {"charge": Param(), "payment_intent": Param(), "amount": Param("integer", minimum=1),
          "reverse_transfer": Param("boolean"), "refund_application_fee": Param("boolean"),
          "reason": Param(choices=("duplicate", "fraudulent", "requested_by_customer")), "metadata": METADATA,
          "expand": EXPAND}


def _charge_to_refund(state, params) -> dict:
    if not params.get("charge") and not params.get("payment_intent"):
        raise StripeError(400, "One of the following params should be provided for this request: payment_intent or "
                               "charge.", code="parameter_missing", param="payment_intent")
    if params.get("payment_intent"):
        intent = state.get("payment_intent", params["payment_intent"], "payment_intent")
        charge = state.find(intent["latest_charge"])
        if intent["status"] != "succeeded" or charge is None:
            raise StripeError(400, f"This PaymentIntent ({intent['id']}) does not have a successful charge to refund.",
                              code="charge_not_refundable", param="payment_intent")
        if params.get("charge") and params["charge"] != charge["id"]:
            raise StripeError(400, f"The charge {params['charge']} does not belong to PaymentIntent {intent['id']}.",
                              param="charge")
        return charge
    return state.get("charge", params["charge"], "charge")


@refunds_blp.post("/v1/refunds")
def create_refund():
    """Refund all or part of what remains; ``reverse_transfer`` and ``refund_application_fee`` in proportion."""
    params = request_params(CREATE)
    state = sandbox_state()
    with state.lock:
        created = refund(state, _charge_to_refund(state, params), params)
        return answer(state.view(created["id"]), params)


@refunds_blp.get("/v1/refunds/<refund_id>")
def retrieve_refund(refund_id):
    return answer_retrieved("refund", refund_id, "refund")


@refunds_blp.get("/v1/refunds")
def list_refunds():
    params = request_params({**LIST_PARAMS, "charge": Param(), "payment_intent": Param()})
    state = sandbox_state()
    with state.lock:
        refunds = [r for r in state.all_of("refund")
                   if params.get("charge") in (None, r["charge"])
                   and params.get("payment_intent") in (None, r["payment_intent"])]
        return answer_list(refunds, params)
