"""Purchases: pay for a reservation by card, list and read purchases, refund one (platform)."""
from __future__ import annotations

from flask import jsonify, request
from flask.views import MethodView

from pc_app.toolkit import (Blueprint, current_actor, current_user, login_required, page_answer, parse_object_id,
                            partner_scope, platform_required, require_trading_partner)

from ..schemas import (PURCHASE_EXAMPLE, PURCHASE_REQUEST_EXAMPLE, PurchaseActionSchema, PurchasePageSchema,
                       PurchaseRequestSchema, PurchaseSchema, PurchasesArgsSchema, RefundSchema)
from ..services import purchases, refunds, replay

blp = Blueprint("payments_purchases", __name__, url_prefix="/v1/marketplace",
                description="Purchases: card payments for reserved leads, with the platform's 20 % share")

IDEMPOTENCY_HEADER = {"parameters": [{
    "in": "header", "name": "Idempotency-Key", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    "description": "Replays the first answer for the same body (24 h); another body with the key is a 409"}]}


def _answer(outcome) -> tuple[int, dict]:
    if outcome.http_status == 202:
        return 202, PurchaseActionSchema().dump({"purchaseId": outcome.purchase.id, "status": outcome.purchase.status,
                                                 "clientSecret": outcome.client_secret})
    return outcome.http_status, PurchaseSchema().dump(outcome.purchase)


@blp.route("/purchases")
class PurchaseCollection(MethodView):
    @login_required
    @blp.arguments(PurchaseRequestSchema, example=PURCHASE_REQUEST_EXAMPLE)
    @blp.doc(**IDEMPOTENCY_HEADER)
    @blp.response(201, PurchaseSchema, description="Paid: the lead is yours", example=PURCHASE_EXAMPLE)
    @blp.alt_response(200, schema=PurchaseSchema, description="Already paid: the same purchase, sent again")
    @blp.alt_response(202, schema=PurchaseActionSchema, description="The card needs 3-D Secure")
    @blp.errors(401, 402, 403, 404, 409, 422, 502, 503)
    def post(self, data):
        """Buy a reserved lead by card: ``{reservationId, paymentMethodId}``.

        Stripe charges once whatever happens (double clicks, retries, timeouts). Declined: 402
        with the card's ``decline_code``, the reservation is kept. 3-D Secure: 202 with a
        ``clientSecret``. Stripe down: 502/503, and the same request later is safe.
        """
        buyer = require_trading_partner()
        user_id = current_user().id
        status, body, replayed = replay.run(
            buyer.id, request.headers.get("Idempotency-Key"), data,
            lambda: _answer(purchases.purchase(buyer, user_id, data["reservationId"], data["paymentMethodId"],
                                               current_actor())))
        return jsonify(body), status, ({"Idempotent-Replayed": "true"} if replayed else {})

    @login_required
    @blp.arguments(PurchasesArgsSchema, location="query")
    @blp.response(200, PurchasePageSchema)
    @blp.errors(401, 403, 422)
    def get(self, args):
        """Your purchases (``as=buyer``) or sales (``as=seller``), newest first; platform staff see all."""
        return page_answer(purchases.purchases_of(partner_scope(), args["as_"]), args["page"], args["perPage"],
                           PurchasePageSchema)


@blp.route("/purchases/<objectid:purchase_id>")
@login_required
@blp.response(200, PurchaseSchema)
@blp.errors(401, 404)
@blp.doc(operationId="getPurchase")
def purchase_item(purchase_id):
    """One purchase, seen by its buyer, its seller or platform staff (404 for anyone else)."""
    return purchases.visible_purchase(current_user(), current_user().partner, parse_object_id(purchase_id, "purchase"))


@blp.route("/purchases/<objectid:purchase_id>/refund", methods=["POST"])
@platform_required
@blp.arguments(RefundSchema)
@blp.response(200, PurchaseSchema)
@blp.errors(401, 403, 404, 409, 422, 502, 503)
@blp.doc(operationId="refundPurchase")
def refund(data, purchase_id):
    """Refund a purchase in full (platform staff): transfer reversed, fee refunded, credit note; idempotent."""
    return refunds.refund(purchase_id, data["reason"], current_actor())
