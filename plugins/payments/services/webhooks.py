"""Stripe's webhooks: verify the signature on the raw body, store each event once, apply it.

Events are stored by their id before they are applied; a duplicate delivery of an applied
event changes nothing, and one whose first delivery failed half-way is applied again (every
handler is idempotent). Handlers apply state with conditional updates, so deliveries in any
order end in the same state (a late ``payment_failed`` never undoes a success).
"""
from __future__ import annotations

import json
import logging

import stripe
from flask import current_app
from mongoengine.errors import NotUniqueError

from pc_app.toolkit import BadRequest, count_webhook_delivery

from ..models import StripeEvent
from .clock import now_ms

log = logging.getLogger("plugins.payments.webhooks")

# Unprocessed events older than this are applied again by the sweeper.
RETRY_GRACE_MS = 60 * 1000


def verified_event(raw: bytes, signature: str | None, parse=json.loads) -> dict:
    """The event, once Stripe's SDK has checked the signature against the raw body.

    ``parse`` reads the body once the signature holds (the route passes the core's guarded
    JSON reader, so even a signed body cannot be too deep or unstorable).

    :raises BadRequest: no signature, a wrong one, a stale timestamp or a body that is not an event.
    """
    secret = current_app.config["STRIPE_WEBHOOK_SECRET"]
    if not signature or not secret:
        raise _refused("The Stripe-Signature header is missing.")
    try:
        stripe.WebhookSignature.verify_header(raw.decode("utf-8"), signature, secret,
                                              stripe.Webhook.DEFAULT_TOLERANCE)
    except (ValueError, stripe.SignatureVerificationError):
        raise _refused("The Stripe signature does not match the body.") from None
    event = parse(raw)
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise BadRequest("The body is not a Stripe event.", errors={"_schema": ["Not a Stripe event."]})
    return event


def _refused(message: str) -> BadRequest:
    # The answer names the header, as every 400 names what it refused.
    return BadRequest(message, errors={"Stripe-Signature": [message]})


def receive(raw: bytes, signature: str | None, parse=json.loads) -> dict:
    """Verify, store once, apply; returns ``{received, duplicate}``.

    Once stored, the event is Stripe's no more: a handler that fails now (Stripe down during an
    automatic refund, say) is logged and its event applied again by the next delivery or the
    sweeper, and Stripe gets its 200.
    """
    try:
        event = verified_event(raw, signature, parse)
    except BadRequest:
        count_webhook_delivery("stripe", "rejected")
        raise
    try:
        StripeEvent(id=event["id"], type=event["type"], payload={"json": raw.decode("utf-8")},
                    received_ms=now_ms()).save(force_insert=True)
    except NotUniqueError:
        stored = StripeEvent.objects(id=event["id"]).modify(new=True, inc__deliveries=1)
        if stored is not None and stored.processed:
            count_webhook_delivery("stripe", "duplicate")
            return {"received": True, "duplicate": True}
    count_webhook_delivery("stripe", "accepted")
    try:
        apply(event["id"])
    except Exception:
        log.exception("stripe event %s (%s) could not be applied now; it is retried", event["id"], event["type"])
    return {"received": True, "duplicate": False}


def apply(event_id: str) -> bool:
    """Run the handler of a stored event and mark it processed; a failure leaves it for the next delivery."""
    stored = StripeEvent.objects(id=event_id).first()
    if stored is None or stored.processed:
        return False
    event = json.loads(stored.payload["json"])
    obj = (event.get("data") or {}).get("object") or {}
    handler = HANDLERS.get(event["type"])
    if handler is not None:
        try:
            handler(obj)
        except Exception as exc:
            StripeEvent.objects(id=event_id).update_one(set__error=f"{type(exc).__name__}: {exc}"[:300])
            raise
    StripeEvent.objects(id=event_id).update_one(set__processed=True, unset__error=True)
    return True


def _on_intent_succeeded(obj):
    from .purchases import on_intent_succeeded

    on_intent_succeeded(obj)


def _on_intent_failed(obj):
    from .purchases import on_intent_failed

    on_intent_failed(obj)


def _on_charge_refunded(obj):
    from .refunds import on_charge_refunded

    on_charge_refunded(obj)


def _on_account_updated(obj):
    from .payouts import on_account_updated

    on_account_updated(obj)


HANDLERS = {
    "payment_intent.succeeded": _on_intent_succeeded,
    "payment_intent.payment_failed": _on_intent_failed,
    "charge.refunded": _on_charge_refunded,
    "account.updated": _on_account_updated,
}


def unprocessed(limit: int = 200) -> list[str]:
    """Events stored but not applied (a failed handler), older than the grace period."""
    return [str(row["_id"]) for row in StripeEvent._get_collection().find(
        {"processed": False, "received_ms": {"$lte": now_ms() - RETRY_GRACE_MS}}, {"_id": 1}).limit(limit)]
