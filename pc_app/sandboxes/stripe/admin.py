"""The Stripe sandbox's own admin routes (``/_sandbox``): onboarding, requirements, 3-D Secure, balances,
and event deliveries on demand (again, twice, out of order, held then released).

Reset, settings, faults, the call log and the deliveries' log are the kit's routes.
"""
from __future__ import annotations

from flask import Blueprint, jsonify

from ..kit.admin import ADMIN_PREFIX, admin_body, admin_refusal
from .connect import set_requirements
from .errors import StripeError
from .events import deliver, release_held
from .ledger import balances
from .payments import authenticate
from .state import PLATFORM_ACCOUNT, sandbox_state

admin_blp = Blueprint("stripe_sandbox_admin", __name__, url_prefix=ADMIN_PREFIX)
ORDERS = ("created", "reversed", "shuffled")


@admin_blp.errorhandler(StripeError)
def _refused(error: StripeError):
    return admin_refusal(error.message, 404 if error.status == 404 else 400)


@admin_blp.post("/accounts/<account_id>/complete-onboarding")
def complete_onboarding(account_id):
    """What opening an account link does: details submitted, charges and payouts enabled, ``account.updated``."""
    state = sandbox_state()
    with state.lock:
        account = state.get("account", account_id)
        for link in state.tokens.values():
            if link.get("kind") == "account_link" and link["account"] == account_id:
                link["used"] = True
        return jsonify(set_requirements(state, account, "complete"))


@admin_blp.post("/accounts/<account_id>/requirements")
def change_requirements(account_id):
    """``state``: ``complete``, ``incomplete`` (Stripe asks for ``fields``, nothing disabled yet) or
    ``restricted`` (charges and payouts disabled); each change is an ``account.updated``."""
    body = admin_body()
    fields = body.get("fields")
    if fields is not None and not (isinstance(fields, list) and all(isinstance(f, str) for f in fields)):
        return admin_refusal("fields must be a list of requirement names.")
    state = sandbox_state()
    with state.lock:
        return jsonify(set_requirements(state, state.get("account", account_id), str(body.get("state")), fields))


@admin_blp.post("/payment_intents/<intent_id>/authenticate")
def complete_authentication(intent_id):
    """The customer passes (``succeed``: true, the default) or fails the 3-D Secure challenge."""
    succeed = admin_body().get("succeed", True)
    if not isinstance(succeed, bool):
        return admin_refusal("succeed must be true or false.")
    state = sandbox_state()
    with state.lock:
        return jsonify(authenticate(state, state.get("payment_intent", intent_id), succeed))


@admin_blp.get("/balances")
def report_balances():
    """Every account's available balance by currency and its balance transactions."""
    state = sandbox_state()
    with state.lock:
        return jsonify({"platform": PLATFORM_ACCOUNT, "accounts": balances(state)})


@admin_blp.get("/idempotency")
def idempotency_keys():
    """The idempotency keys seen: ``key``, ``account``, ``path``, ``running`` (a request still executes)."""
    state = sandbox_state()
    with state.lock:
        return jsonify({"keys": [{"key": key, "account": account or None, "path": record["path"],
                                  "running": record["running"]}
                                 for (account, key), record in state.idempotency.items()]})


@admin_blp.post("/events/<event_id>/deliver")
def deliver_again(event_id):
    """Deliver an event again, ``times`` times (2: a duplicate), to every endpoint or to ``endpoint``."""
    body = admin_body()
    times = body.get("times", 1)
    if not isinstance(times, int) or isinstance(times, bool) or not 1 <= times <= 10:
        return admin_refusal("times must be a number from 1 to 10.")
    state = sandbox_state()
    with state.lock:
        event = state.get("event", event_id)
        return jsonify({"deliveries": deliver(state, event, endpoint=body.get("endpoint"), times=times)})


@admin_blp.post("/events/deliver")
def deliver_batch():
    """Deliver the ``events`` (ids) again in the ``order`` given: ``created`` (as listed) or ``reversed``."""
    body = admin_body()
    ids, order = body.get("events"), body.get("order", "reversed")
    if not isinstance(ids, list) or not ids or order not in ("created", "reversed"):
        return admin_refusal("Give events (a list of event ids) and order (created or reversed).")
    state = sandbox_state()
    with state.lock:
        events = [state.get("event", event_id) for event_id in ids]
        for event in reversed(events) if order == "reversed" else events:
            deliver(state, event)
        return jsonify({"delivered": [e["id"] for e in (reversed(events) if order == "reversed" else events)]})


@admin_blp.post("/webhooks/release")
def release():
    """Deliver the events held while ``webhookHold`` was on, in ``order`` (created, reversed, shuffled);
    holding stops."""
    order = admin_body().get("order", "created")
    if order not in ORDERS:
        return admin_refusal(f"order must be one of {', '.join(ORDERS)}.")
    state = sandbox_state()
    with state.lock:
        state.settings.webhook_hold = False
        return jsonify({"delivered": release_held(state, order)})
