"""Reservations: the countdown hold a buyer takes on a listed lead, its extension, cancellation and expiry.

The marketplace's conditional update (``listed`` → ``reserved``) decides who wins a lead;
a buyer's slots ``<buyer>:<n>`` (a sparse unique key, unset when the reservation closes)
cap how many it holds at once. A closed reservation releases its listing once
(``listing_released``), and only the call that flips that flag emits the event, so a job
and the sweeper running the same expiry twice relist once and tell once.
"""
from __future__ import annotations

import logging

from flask import current_app
from mongoengine.errors import NotUniqueError

from pc_app.toolkit import SYSTEM, Actor, Conflict, NotFound, emit, new_id, read_matching, utcnow
from plugins.marketplace import services as marketplace

from .. import scheduling
from ..models import Purchase, Reservation
from .clock import from_ms, hours_ms, iso, now_ms

log = logging.getLogger("plugins.payments.reservations")

# A closed reservation whose listing is still held is finished by the sweeper after this long.
RELEASE_GRACE_MS = 30 * 1000


def _setting(name):
    return current_app.config[name]


def reminder_at(expires_ms: int, now: int) -> int | None:
    """When to remind the buyer: ``PAYMENTS_REMINDER_HOURS`` before the end, if that is still ahead."""
    lead_time = hours_ms(_setting("PAYMENTS_REMINDER_HOURS"))
    at = expires_ms - lead_time
    return at if lead_time > 0 and at > now else None


def reserve(buyer, user_id: str | None, lead_id: str, actor: Actor) -> Reservation:
    """Hold the lead's listing for the buyer (five database round trips: its slots, the listing, its seller's
    status, whether the buyer already has the lead's e-mail, the insert).

    :raises NotFound: the lead is not on the marketplace.
    :raises Conflict: ``maxActiveReservations``, ``ownListing``, ``alreadyReserved``, ``alreadySold``, ``notListed``,
        ``alreadyOwned`` (the buyer has a lead with its e-mail: browse never shows it one), ``sellerSuspended``.
    """
    now = now_ms()
    maximum = _setting("PAYMENTS_MAX_ACTIVE_RESERVATIONS")
    # At most ``maximum`` are active (one per slot); the bound only keeps a lowered setting safe.
    used = {row.get("slot_key") for row in read_matching(
        Reservation._get_collection(), {"buyer": buyer.id, "status": "active"}, 1000, {"slot_key": 1})}
    prefix = f"{buyer.id}:"
    free = [slot for slot in (f"{prefix}{n}" for n in range(maximum)) if slot not in used]
    if not free:
        raise _too_many(maximum)
    expires = now + hours_ms(_setting("PAYMENTS_RESERVATION_HOURS"))
    reservation_id = new_id()  # names the hold on the listing, so only this reservation can release it
    listing = marketplace.mark_lead_reserved(lead_id, buyer.id, from_ms(expires), hold_id=reservation_id)
    if listing is None:
        why = marketplace.why_not_reservable(lead_id, buyer.id)
        if why is None:
            raise NotFound("listing", "This lead is not on the marketplace.")
        raise Conflict(*why)
    _give_back_unless_holdable(listing, buyer.id, reservation_id)
    reservation = Reservation(
        id=reservation_id, listing=listing.id, lead=listing.lead, seller=listing.seller, buyer=buyer.id,
        buyer_user=user_id, price=listing.price, currency=listing.currency, industry=listing.industry,
        listed_at=listing.listed_at,
        card=marketplace.card_of(listing), reserved_ms=now, expires_ms=expires, expires_at=from_ms(expires),
        hold_limit_ms=now + hours_ms(_setting("PAYMENTS_MAX_HOLD_HOURS")), remind_ms=reminder_at(expires, now))
    for slot in free:
        reservation.slot_key = slot
        try:
            reservation.save(force_insert=True)
            break
        except NotUniqueError:
            continue  # the buyer's own concurrent reservation took this slot
    else:
        marketplace.relist(listing.id, buyer.id, hold_id=reservation_id)
        raise _too_many(maximum)
    emit("payments.lead_reserved", partner_ids=[buyer.id, listing.seller], actor=actor, payload={
        **_ids(reservation), "price": reservation.price, "currency": reservation.currency,
        "expiresAt": iso(expires), "industry": reservation.industry})
    return reservation


def _give_back_unless_holdable(listing, buyer_id: str, hold_id: str) -> None:
    """Give back a hold just taken, and refuse, when its seller is suspended (``relist`` then delists it) or
    the buyer already has a lead with its e-mail (browse never shows it one).

    Checked once the listing is held, on what the hold's answer names: a read each, not a read of the
    listing first, and a listing the delisting has not reached yet (or a racing one) cannot be held either.
    """
    if marketplace.seller_suspended(listing.seller):
        refusal = seller_suspended_conflict()
    elif marketplace.buyer_owns_lead(buyer_id, listing.email):
        refusal = Conflict(*marketplace.ALREADY_OWNED)
    else:
        return
    marketplace.relist(listing.id, buyer_id, hold_id=hold_id)
    raise refusal


def seller_suspended_conflict() -> Conflict:
    return Conflict("sellerSuspended", "The seller of this lead is suspended and cannot trade; it is off the "
                                       "marketplace.")


def _too_many(maximum: int) -> Conflict:
    return Conflict("maxActiveReservations", f"You already hold {maximum} reservations, the most allowed at once; "
                                             f"buy or cancel one first.")


def _ids(reservation: Reservation) -> dict:
    return {"reservationId": reservation.id, "listingId": reservation.listing, "leadId": reservation.lead,
            "buyerPartnerId": reservation.buyer, "sellerPartnerId": reservation.seller}


def own_reservation(buyer_id: str, reservation_id: str) -> Reservation:
    """:raises NotFound: unknown or another partner's reservation (ids cannot be probed)."""
    reservation = Reservation.objects(id=reservation_id, buyer=buyer_id).first()
    if reservation is None:
        raise NotFound("reservation")
    return reservation


def _refuse_unless_active(reservation: Reservation, now: int) -> None:
    if reservation.status != "active" or reservation.expires_ms <= now:
        raise Conflict("reservationNotActive", f"This reservation is {_state_word(reservation, now)}; "
                                               f"reserve the lead again if it is still listed.")


def _state_word(reservation: Reservation, now: int) -> str:
    if reservation.status == "active":
        return "over (its time ran out)" if reservation.expires_ms <= now else "active"
    return reservation.status


def extend(buyer_id: str, reservation_id: str, actor: Actor) -> Reservation:
    """Add ``PAYMENTS_EXTENSION_HOURS`` once (``PAYMENTS_MAX_EXTENSIONS``), never past the total hold limit.

    :raises Conflict: ``reservationNotActive``, ``noExtensionLeft``, ``maxHold``.
    """
    reservation = own_reservation(buyer_id, reservation_id)
    now = now_ms()
    _refuse_unless_active(reservation, now)
    allowed = _setting("PAYMENTS_MAX_EXTENSIONS")
    if reservation.extensions_used >= allowed:
        raise Conflict("noExtensionLeft", f"This reservation has already been extended {reservation.extensions_used} "
                                          f"time(s), the most allowed.")
    new_expiry = reservation.expires_ms + hours_ms(_setting("PAYMENTS_EXTENSION_HOURS"))
    if new_expiry > reservation.hold_limit_ms:
        raise Conflict("maxHold", f"A lead can be held for at most {_setting('PAYMENTS_MAX_HOLD_HOURS'):g} hours in "
                                  f"all; this extension would go past that.")
    extended = Reservation.objects(id=reservation.id, status="active", expires_ms=reservation.expires_ms,
                                   extensions_used=reservation.extensions_used).modify(
        new=True, set__expires_ms=new_expiry, set__expires_at=from_ms(new_expiry), inc__extensions_used=1,
        set__remind_ms=reminder_at(new_expiry, now), set__reminded=False, set__updated_at=utcnow())
    if extended is None:  # a concurrent extension, purchase or expiry got there first
        reservation.reload()
        _refuse_unless_active(reservation, now)
        raise Conflict("noExtensionLeft", "This reservation was just extended; it cannot be extended again.")
    marketplace.extend_reservation(extended.listing, extended.buyer, from_ms(new_expiry))
    emit("payments.reservation_extended", partner_ids=[extended.buyer, extended.seller], actor=actor, payload={
        **_ids(extended), "expiresAt": iso(new_expiry), "extensionsUsed": extended.extensions_used})
    scheduling.schedule(extended)
    return extended


def _close(query: dict, status: str) -> Reservation | None:
    now = now_ms()
    return Reservation.objects(**query).modify(
        new=True, set__status=status, unset__slot_key=True, set__listing_released=False, set__closed_at=from_ms(now),
        set__closed_ms=now, set__updated_at=utcnow())


def cancel(buyer_id: str, reservation_id: str, actor: Actor) -> Reservation:
    """Give the lead back to the marketplace.

    :raises Conflict: ``paymentInProgress`` while a payment is in flight, ``reservationNotActive``.
    """
    now = now_ms()
    closed = _close({"id": reservation_id, "buyer": buyer_id, "status": "active", "paying_until_ms__lte": now},
                    "cancelled")
    if closed is None:
        reservation = own_reservation(buyer_id, reservation_id)
        if reservation.status == "active" and reservation.paying_until_ms > now:
            raise Conflict("paymentInProgress", "A payment for this reservation is being processed; it cannot be "
                                                "cancelled now.")
        raise Conflict("reservationNotActive", f"This reservation is {reservation.status}.")
    scheduling.unschedule(closed.id)
    release_listing(closed, actor)
    return Reservation.objects(id=closed.id).first()


def expire(reservation_id: str, now: int | None = None) -> bool:
    """Close an active reservation whose time ran out (unless a payment holds it) and relist its lead.

    Idempotent: a second run (the job and the sweeper, or the job twice) finds nothing to do.
    """
    now = now if now is not None else now_ms()
    closed = _close({"id": reservation_id, "status": "active", "expires_ms__lte": now, "paying_until_ms__lte": now},
                    "expired")
    if closed is None:
        return False
    scheduling.cancel_reminder(closed.id)
    release_listing(closed, SYSTEM)
    return True


def release_listing(reservation: Reservation, actor: Actor) -> bool:
    """Relist the lead of a closed reservation, then tell once (the caller that flips the flag emits)."""
    marketplace.relist(reservation.listing, reservation.buyer, hold_id=reservation.id)
    if not Reservation.objects(id=reservation.id, buyer=reservation.buyer, listing_released=False).update_one(
            set__listing_released=True):
        return False
    if reservation.status == "cancelled":
        emit("payments.reservation_cancelled", partner_ids=[reservation.buyer, reservation.seller], actor=actor,
             payload=_ids(reservation))
    elif reservation.status == "expired":
        emit("payments.reservation_expired", partner_ids=[reservation.buyer, reservation.seller], actor=actor,
             payload=_ids(reservation))
    return True


def remind(reservation_id: str, now: int | None = None) -> bool:
    """Tell the buyer the hold ends soon, once per expiry (an extension re-arms it)."""
    now = now if now is not None else now_ms()
    reservation = Reservation.objects(id=reservation_id, status="active", reminded=False,
                                      remind_ms__lte=now).modify(new=True, set__reminded=True)
    if reservation is None:
        return False
    emit("payments.reservation_expiring", partner_ids=[reservation.buyer], actor=SYSTEM, payload={
        key: value for key, value in _ids(reservation).items() if key != "sellerPartnerId"}
        | {"expiresAt": iso(reservation.expires_ms)})
    return True


def sweep(now: int | None = None, limit: int = 500) -> dict:
    """What the per-minute sweeper does for reservations; returns counts for the log."""
    now = now if now is not None else now_ms()
    done = {"expired": 0, "released": 0, "reminded": 0, "orphansRelisted": 0}
    for row in Reservation._get_collection().find(
            {"status": "active", "expires_ms": {"$lte": now}}, {"_id": 1}).limit(limit):
        done["expired"] += expire(str(row["_id"]), now)
    for reservation in Reservation.objects(status__in=("expired", "cancelled"), listing_released=False,
                                           closed_ms__lte=now - RELEASE_GRACE_MS).limit(limit):
        done["released"] += release_listing(reservation, SYSTEM)
    for row in Reservation._get_collection().find(
            {"status": "active", "reminded": False, "remind_ms": {"$lte": now}}, {"_id": 1}).limit(limit):
        done["reminded"] += remind(str(row["_id"]), now)
    # A listing reserved without a reservation on record (a crash between the two writes) is released
    # once its hold has lapsed.
    for listing_id, buyer_id, hold_id in marketplace.reservations_lapsed_before(now - RELEASE_GRACE_MS, limit):
        if hold_id is None or Reservation.objects(id=hold_id, status="active").only("id").first() is None:
            done["orphansRelisted"] += marketplace.relist(listing_id, buyer_id, hold_id=hold_id) is not None
    return done


def reservations_of(buyer_id: str, status: str | None):
    query = {"buyer": buyer_id}
    if status:
        query["status"] = status
    return Reservation.objects(**query).order_by("-created_at", "-id")


def relationship_of(listing_id: str, partner_id: str) -> str | None:
    """``purchased`` (a succeeded purchase), ``reserved`` (an active hold) or None."""
    if Purchase.objects(listing=listing_id, buyer=partner_id, status="succeeded").only("id").first() is not None:
        return "purchased"
    if Reservation.objects(listing=listing_id, buyer=partner_id, status="active").only("id").first() is not None:
        return "reserved"
    return None
