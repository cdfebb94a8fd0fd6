"""``/v1/payment_intents``: create (and confirm), retrieve, update, confirm, cancel, list."""
from __future__ import annotations

from flask import Blueprint

from .. import payments
from ..params import EXPAND, LIST_PARAMS, METADATA, Param
from ..state import sandbox_state
from ..wire import answer, answer_list, answer_retrieved, base_url, request_params

payment_intents_blp = Blueprint("stripe_payment_intents", __name__)

TRANSFER_DATA = Param("hash", fields={"destination": Param(required=True), "amount": Param("integer", minimum=1)})
UPDATE = {"amount": Param("integer", minimum=1), "currency": Param(),
          "application_fee_amount": Param("integer", minimum=0), "payment_method": Param(), "description": Param(),
          "metadata": METADATA, "transfer_group": Param(), "receipt_email": Param(), "expand": EXPAND}
CREATE = {**UPDATE, "amount": Param("integer", required=True, minimum=1), "currency": Param(required=True),
          "confirm": Param("boolean"), "transfer_data": TRANSFER_DATA, "return_url": Param(),
          "payment_method_types": Param("strings"), "capture_method": Param(choices=("automatic", "automatic_async")),
          "automatic_payment_methods": Param("hash", fields={"enabled": Param("boolean", required=True),
                                                             "allow_redirects": Param(choices=("always", "never"))}),
          "confirmation_method": Param(choices=("automatic",)), "statement_descriptor_suffix": Param()}
CONFIRM = {"payment_method": Param(), "return_url": Param(), "expand": EXPAND}
CANCEL = {"cancellation_reason": Param(choices=("duplicate", "fraudulent", "requested_by_customer", "abandoned")),
          "expand": EXPAND}


@payment_intents_blp.post("/v1/payment_intents")
def create_payment_intent():
    """With ``confirm=true`` the payment is attempted at once: a decline is Stripe's 402 card error."""
    params = request_params(CREATE)
    state = sandbox_state()
    with state.lock:
        intent = payments.create(state, params, base_url())
        return answer(state.view(intent["id"]), params)


@payment_intents_blp.get("/v1/payment_intents/<intent_id>")
def retrieve_payment_intent(intent_id):
    return answer_retrieved("payment_intent", intent_id, "intent", {"expand": EXPAND, "client_secret": Param()})


@payment_intents_blp.post("/v1/payment_intents/<intent_id>")
def update_payment_intent(intent_id):
    params = request_params(UPDATE)
    state = sandbox_state()
    with state.lock:
        intent = payments.update(state, state.get("payment_intent", intent_id, "intent"), params)
        return answer(state.view(intent["id"]), params)


@payment_intents_blp.post("/v1/payment_intents/<intent_id>/confirm")
def confirm_payment_intent(intent_id):
    params = request_params(CONFIRM)
    state = sandbox_state()
    with state.lock:
        intent = payments.confirm(state, state.get("payment_intent", intent_id, "intent"), params, base_url())
        return answer(state.view(intent["id"]), params)


@payment_intents_blp.post("/v1/payment_intents/<intent_id>/cancel")
def cancel_payment_intent(intent_id):
    params = request_params(CANCEL)
    state = sandbox_state()
    with state.lock:
        intent = payments.cancel(state, state.get("payment_intent", intent_id, "intent"),
                                 params.get("cancellation_reason"))
        return answer(state.view(intent["id"]), params)


@payment_intents_blp.get("/v1/payment_intents")
def list_payment_intents():
    params = request_params(LIST_PARAMS)
    state = sandbox_state()
    with state.lock:
        return answer_list(state.all_of("payment_intent"), params)
