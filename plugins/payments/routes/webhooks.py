"""Stripe's webhook: the signature is verified on the raw body, events are stored once and applied."""
from __future__ import annotations

from flask import request

from pc_app.toolkit import Blueprint, abort, beyond_schema, limiter, read_json, setting

from ..schemas import WebhookAnswerSchema
from ..services import webhooks

blp = Blueprint("payments_webhooks", __name__, url_prefix="/v1/payments/webhooks",
                description="Inbound Stripe webhooks")

MAX_WEBHOOK_BYTES = 512 * 1024

# Public (``security: []``): Stripe proves itself with the signature header, checked in the service.
WEBHOOK_DOC = {
    "parameters": [
        {"in": "header", "name": "Stripe-Signature", "required": True,
         "schema": {"type": "string", "maxLength": 2000, **beyond_schema("signed by Stripe")},
         "description": "t=<unix seconds>,v1=<HMAC-SHA256 of 't.body' with the endpoint's signing secret>"},
    ],
    "requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "object", **beyond_schema("an event signed by Stripe")}}}},
}


@blp.route("/stripe", methods=["POST"])
@limiter.limit(setting("PAYMENTS_RATELIMIT_WEBHOOKS"))
@blp.doc(**WEBHOOK_DOC)
@blp.response(200, WebhookAnswerSchema)
@blp.errors(400, 413, 422, 429, 502, 503)
@blp.doc(operationId="receiveStripeWebhook")
def stripe_webhook():
    """Stripe's events (public): ``Stripe-Signature`` checked with ``STRIPE_WEBHOOK_SECRET``; 400 when it fails.

    Handles ``payment_intent.succeeded``, ``payment_intent.payment_failed``, ``charge.refunded``
    and ``account.updated``; other events are stored and acknowledged. Duplicates answer
    ``duplicate: true`` and change nothing.
    """
    if (request.content_length or 0) > MAX_WEBHOOK_BYTES:
        abort(413, message="The webhook body is too large.")
    return webhooks.receive(request.get_data(cache=True), request.headers.get("Stripe-Signature"),
                            parse=lambda _raw: read_json())
