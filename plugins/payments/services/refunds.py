"""Full refunds: Stripe gives the buyer everything back (transfer reversed, fee refunded), the sale is undone.

The refund is claimed on the purchase (``refunding``), asked of Stripe with a key derived
from the purchase (``pc-refund-<id>``, so a retry never refunds twice), then applied with a
conditional update (succeeded → refunded). Undoing the sale only undoes the steps that were
done (``steps``): the buyer's copy is removed, the seller's lead is editable again, and
credit notes cancel the invoices. ``charge.refunded`` from Stripe (a refund made in its
dashboard) leads to the same end state.
"""
from __future__ import annotations

import logging

from pc_app.toolkit import Actor, Conflict, Lead, NotFound, clear_lead_read_only, delete_lead, emit, owned_by, utcnow

from ..models import Purchase
from .stripe_api import client, plain, stripe_call

log = logging.getLogger("plugins.payments.refunds")

REFUND_REASONS = {"duplicate": "duplicate", "fraudulent": "fraudulent"}


def refund(purchase_id: str, reason: str, actor: Actor) -> Purchase:
    """Refund a succeeded purchase in full; a refunded one is answered as it is (idempotent).

    :raises NotFound: no such purchase.
    :raises Conflict: ``notRefundable`` (not paid), ``refundInProgress`` (another refund runs).
    :raises StripeOutcomeUnknown: Stripe did not answer; nothing changed here, a retry is safe.
    """
    claimed = Purchase.objects(id=purchase_id, status="succeeded", refunding=False).modify(
        new=True, set__refunding=True, set__refund_reason=reason, set__updated_at=utcnow())
    if claimed is None:
        current = Purchase.objects(id=purchase_id).first()
        if current is None:
            raise NotFound("purchase")
        if current.status == "refunded":
            return current
        if current.refunding:
            raise Conflict("refundInProgress", "A refund of this purchase is already being made.")
        raise Conflict("notRefundable", f"Only a paid purchase can be refunded; this one is {current.status}.")
    params = {"payment_intent": claimed.payment_intent,
              "metadata": {"purchaseId": claimed.id, "reason": reason[:400]}}
    if reason in REFUND_REASONS:
        params["reason"] = REFUND_REASONS[reason]
    if not claimed.house_sale:
        params["reverse_transfer"] = True
        params["refund_application_fee"] = claimed.platform_fee > 0
    try:
        with stripe_call("refunding the purchase"):
            stripe_refund = plain(client().v1.refunds.create(params, {"idempotency_key": f"pc-refund-{claimed.id}"}))
    except Exception:
        # Nothing was recorded here; the key makes a retry safe even if Stripe did refund.
        Purchase.objects(id=claimed.id, **owned_by(claimed), refunding=True).update_one(set__refunding=False)
        raise
    return apply_refund(claimed.id, stripe_refund["id"], reason, actor)


def apply_refund(purchase_id: str, refund_id: str | None, reason: str, actor: Actor) -> Purchase:
    """Record the refund (succeeded → refunded, once) and undo the sale; the caller that records it tells."""
    refunded = Purchase.objects(id=purchase_id, status="succeeded").modify(
        new=True, set__status="refunded", set__refund=refund_id, set__refund_reason=reason,
        set__refunded_at=utcnow(), set__refunding=False, set__updated_at=utcnow())
    if refunded is None:
        return Purchase.objects(id=purchase_id).first()
    if "listing" not in (refunded.steps or []):
        # Paid after the hold lapsed while someone else held the lead: no sale ever happened, so
        # listeners hear a failed purchase (money returned), not the refund of a sale they never saw.
        emit("payments.purchase_failed", partner_ids=[refunded.buyer], actor=actor, payload={
            "purchaseId": refunded.id, "reservationId": refunded.reservation, "listingId": refunded.listing,
            "buyerPartnerId": refunded.buyer, "reason": reason})
        return Purchase.objects(id=purchase_id).first()
    undo_sale(refunded, actor)
    emit("payments.purchase_refunded", partner_ids=[refunded.buyer, refunded.seller], actor=actor, payload={
        "purchaseId": refunded.id, "listingId": refunded.listing, "leadId": refunded.lead,
        "buyerPartnerId": refunded.buyer, "sellerPartnerId": refunded.seller, "amount": refunded.amount,
        "platformFee": refunded.platform_fee, "sellerPayout": refunded.seller_payout,
        "currency": refunded.currency, "industry": refunded.industry, "reason": reason})
    return Purchase.objects(id=purchase_id).first()


def undo_sale(purchase_doc: Purchase, actor: Actor) -> None:
    """Undo what the sale did (only the steps it recorded); each undo is conditional, so repeating is harmless."""
    steps = set(purchase_doc.steps or [])
    if "buyerLead" in steps and "buyerLeadExisted" not in steps and purchase_doc.buyer_lead:
        copy = Lead.objects(id=purchase_doc.buyer_lead, is_deleted=False).first()
        if copy is not None:
            delete_lead(copy, str(actor))
    if "sellerLead" in steps:
        clear_lead_read_only(purchase_doc.lead, "sold", purchase_doc.seller)
    if "invoices" in steps:
        from .invoices import issue_for_refund

        issue_for_refund(purchase_doc)


def on_charge_refunded(charge) -> None:
    """``charge.refunded``: a refund made at Stripe (its dashboard); applied once the charge is fully refunded."""
    from pc_app.toolkit import STRIPE

    intent = charge.get("payment_intent")
    purchase_doc = Purchase.objects(payment_intent=intent).first() if intent else None
    if purchase_doc is None or not charge.get("refunded"):
        return
    refunds = ((charge.get("refunds") or {}).get("data") or [])
    refund_id = refunds[0].get("id") if refunds else None
    apply_refund(purchase_doc.id, refund_id, purchase_doc.refund_reason or "refunded_at_stripe", STRIPE)
