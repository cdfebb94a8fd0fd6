"""Completing a paid sale, step by step, each step recorded once done so any caller can resume it.

Steps, in order: ``listing`` (sold to the buyer), ``reservation`` (purchased), ``buyerLead``
(the buyer's own copy), ``sellerLead`` (kept, read-only), ``invoices``, ``announced`` (the
event). The API answer, the webhook and the sweeper may all call ``complete``; each step is
a conditional write plus ``$addToSet`` of its name, so nothing happens twice.

A payment that succeeds after its reservation lapsed still buys the lead if nobody else
holds it (the listing is reserved again for this buyer, then sold); otherwise the money is
refunded at once (``listing_unavailable``): money is never taken without a sale.
"""
from __future__ import annotations

import logging

from pc_app.toolkit import (STRIPE, SYSTEM, Actor, DuplicateLeadEmail, Lead, create_lead, emit, iso_utc, owned_by,
                             set_lead_read_only, utcnow)
from plugins.marketplace import services as marketplace

from .. import scheduling
from ..models import Purchase, Reservation
from .clock import now_ms

log = logging.getLogger("plugins.payments.sale")

# Contact and firmographic fields the buyer's copy receives; never notes, deal status or the seller's amounts.
COPIED_FIELDS = ("first_name", "last_name", "email", "phone", "company", "company_domain", "job_title", "seniority",
                 "industry", "company_size", "country")


def _done(purchase_doc: Purchase, step: str) -> None:
    Purchase.objects(id=purchase_doc.id, **owned_by(purchase_doc)).update_one(add_to_set__steps=step, set__updated_at=utcnow())
    purchase_doc.steps = list(purchase_doc.steps or []) + [step]


def complete(purchase_id: str) -> Purchase:
    """Run every step of the sale that is not done yet; returns the purchase as it stands."""
    purchase_doc = Purchase.objects(id=purchase_id).first()
    if purchase_doc is None or purchase_doc.status != "succeeded" or purchase_doc.fulfilled:
        return purchase_doc
    steps = set(purchase_doc.steps or [])
    if "listing" not in steps:
        if not _take_listing(purchase_doc):
            from .refunds import refund  # the sale cannot happen: give the money back

            refund(purchase_doc.id, "listing_unavailable", STRIPE)
            return Purchase.objects(id=purchase_doc.id).first()
        _done(purchase_doc, "listing")
    if "reservation" not in steps:
        Reservation.objects(id=purchase_doc.reservation, buyer=purchase_doc.buyer, status__ne="purchased").update_one(
            set__status="purchased", set__purchase=purchase_doc.id, set__open_purchase=None,
            set__paying_until_ms=0, unset__slot_key=True, set__listing_released=True, set__closed_at=utcnow(),
            set__closed_ms=now_ms(), set__updated_at=utcnow())
        scheduling.unschedule(purchase_doc.reservation)
        _done(purchase_doc, "reservation")
    if "buyerLead" not in steps:
        _copy_lead(purchase_doc)
        _done(purchase_doc, "buyerLead")
    if "sellerLead" not in steps:
        set_lead_read_only(purchase_doc.lead, "sold", purchase_doc.seller)
        _done(purchase_doc, "sellerLead")
    if "invoices" not in steps:
        from .invoices import issue_for_sale

        issue_for_sale(purchase_doc)
        _done(purchase_doc, "invoices")
    if "announced" not in steps:
        # Claim first, then emit: at most one event even when the webhook and the answer race. ``$nin``, not
        # ``$ne``: the same on MongoDB, but nx-27017 matches ``$ne`` on an array that holds the value.
        if Purchase.objects(id=purchase_doc.id, **owned_by(purchase_doc), steps__nin=["announced"]).update_one(
                add_to_set__steps="announced"):
            _announce(Purchase.objects(id=purchase_doc.id).first())
    Purchase.objects(id=purchase_doc.id, **owned_by(purchase_doc)).update_one(set__fulfilled=True,
                                                                            set__updated_at=utcnow())
    return Purchase.objects(id=purchase_doc.id).first()


def _take_listing(purchase_doc: Purchase) -> bool:
    """Sell the listing to the buyer; after a lapsed hold, reserve it again first if it is free."""
    def sell() -> bool:
        return marketplace.mark_sold(purchase_doc.listing, purchase_doc.buyer, purchase_doc.amount,
                                     sale_ref=purchase_doc.id) is not None

    if sell():
        return True
    listing = marketplace.get_listing(purchase_doc.listing)
    if listing is None:
        return False
    if listing.status == "sold":
        # Only a repeat of this very sale; a second payment for a sold listing is refunded.
        return listing.sale_ref == purchase_doc.id
    if listing.status == "listed" and marketplace.mark_reserved(listing.id, purchase_doc.buyer) is not None:
        return sell()
    return False


def _copy_lead(purchase_doc: Purchase) -> None:
    """The buyer's own copy, with a id fixed when the attempt began, so a repeat finds it instead of copying twice."""
    if Lead.objects(id=purchase_doc.buyer_lead).only("id").first() is not None:
        return
    original = Lead.objects(id=purchase_doc.lead).first()
    data = {field: getattr(original, field) for field in COPIED_FIELDS}
    data.update(id=purchase_doc.buyer_lead, source="marketplace", source_ref=f"purchase:{purchase_doc.id}",
                currency=purchase_doc.currency)
    try:
        create_lead(purchase_doc.buyer, data, str(SYSTEM))
    except DuplicateLeadEmail:
        if Lead.objects(id=purchase_doc.buyer_lead).only("id").first() is not None:
            return  # a concurrent completion made it
        # The buyer already had a lead with this e-mail: that lead is the buyer's copy, unchanged.
        existing = Lead.objects(email_key=Lead.make_email_key(purchase_doc.buyer, original.email)).first()
        Purchase.objects(id=purchase_doc.id, **owned_by(purchase_doc)).update_one(
            set__buyer_lead=existing.id if existing else None)
        _done(purchase_doc, "buyerLeadExisted")
        purchase_doc.buyer_lead = existing.id if existing else None


def _announce(purchase_doc: Purchase) -> None:
    # The buyer's user who paid is who bought it, whichever of the answer, Stripe's webhook or the sweeper
    # completes the sale ("Jane Doe bought a lead..."); Stripe only when no user started it.
    actor = Actor.of_user(purchase_doc.buyer_user) if purchase_doc.buyer_user else STRIPE
    emit("payments.purchase_succeeded", partner_ids=[purchase_doc.buyer, purchase_doc.seller], actor=actor, payload={
        "purchaseId": purchase_doc.id, "reservationId": purchase_doc.reservation, "listingId": purchase_doc.listing,
        "leadId": purchase_doc.lead, "buyerLeadId": purchase_doc.buyer_lead, "buyerPartnerId": purchase_doc.buyer,
        "sellerPartnerId": purchase_doc.seller, "amount": purchase_doc.amount,
        "platformFee": purchase_doc.platform_fee, "sellerPayout": purchase_doc.seller_payout,
        "currency": purchase_doc.currency, "industry": purchase_doc.industry,
        "listedAt": iso_utc(purchase_doc.listed_at), "reservedAt": iso_utc(purchase_doc.reserved_at),
        "paymentIntentId": purchase_doc.payment_intent, "houseSale": purchase_doc.house_sale})


def unfinished(limit: int = 200) -> list[str]:
    """Succeeded purchases whose sale a crash left half done (the sweeper resumes them)."""
    return [str(row["_id"]) for row in Purchase._get_collection().find(
        {"status": "succeeded", "fulfilled": False}, {"_id": 1}).limit(limit)]
