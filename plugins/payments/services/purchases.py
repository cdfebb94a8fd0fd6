"""Card purchases: one Stripe PaymentIntent per attempt, driven through a state machine that never charges twice.

An attempt is claimed on the reservation with one conditional update (``open_purchase``),
so racing requests for one reservation make one attempt and one PaymentIntent. The intent
is created, then confirmed, each call with an idempotency key derived from the reservation
and the attempt (``pc-pi-<reservation>:<n>``, ``pc-confirm-<reservation>:<n>``): any retry
of any step — a double click, a timeout, a crashed worker's successor, the sweeper —
repeats the same call and Stripe answers it once. The outcome is applied with conditional
updates (pending → requires_action → succeeded | failed), so the API answer, the webhook
and the sweeper reach the same end state in any order, and a late failure never undoes a
success. A declined card closes its attempt; the next card is a new attempt.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import stripe
from flask import current_app
from mongoengine.errors import NotUniqueError

from pc_app.toolkit import (STRIPE, SYSTEM, Actor, Conflict, Invalid, NotFound, Partner, PaymentDeclined, emit, new_id,
                             owned_by, utcnow)
from plugins.marketplace import services as marketplace

from ..models import OPEN_PURCHASE_STATUSES, Purchase, Reservation
from . import money, sale
from .clock import from_ms, now_ms
from .payouts import destination_of
from .reservations import cancel, own_reservation, seller_suspended_conflict
from .stripe_api import StripeOutcomeUnknown, StripeRefused, client, plain, stripe_call

log = logging.getLogger("plugins.payments.purchases")


@dataclass
class Outcome:
    """What a purchase request led to: ``status`` 201 (paid), 202 (action needed), 200 (already bought)."""
    purchase: Purchase
    http_status: int
    client_secret: str | None = None


def lease_ms() -> int:
    """How long one driver may hold an attempt: every Stripe call it makes, with the SDK's retries, and a margin."""
    config = current_app.config
    per_call = config["STRIPE_TIMEOUT_SECONDS"] * (config["STRIPE_MAX_NETWORK_RETRIES"] + 1)
    return int((3 * per_call + 10) * 1000)


def _attempt_key(reservation_id: str, attempt: int) -> str:
    return f"{reservation_id}:{attempt}"


def purchase(buyer: Partner, user_id: str | None, reservation_id: str, payment_method: str, actor: Actor) -> Outcome:
    """Pay for a reservation with a card; see the module docstring for the guarantees.

    :raises NotFound: not the buyer's reservation.
    :raises Conflict: ``reservationNotActive``, ``paymentInProgress``, ``sellerCannotBePaid``, ``alreadyOwned``,
        ``sellerSuspended`` (the hold is cancelled for these two).
    :raises PaymentDeclined: the card was declined (Stripe's decline code in ``errors``).
    :raises StripeOutcomeUnknown: Stripe did not answer; the same request again is safe.
    """
    reservation = own_reservation(buyer.id, reservation_id)
    for _round in range(3):
        if reservation.status == "purchased" and reservation.purchase:
            return Outcome(Purchase.objects(id=reservation.purchase).first(), 200)
        if reservation.open_purchase:
            outcome = _join_open_attempt(reservation, payment_method, user_id)
            if outcome is not None:
                return outcome
            reservation.reload()
            continue
        _refuse_unless_payable(reservation)
        _refuse_if_seller_suspended(reservation, actor)
        _refuse_if_already_owned(reservation)
        purchase_doc = _claim_attempt(reservation, payment_method, user_id)
        if purchase_doc is None:  # another request claimed it first: join it
            reservation.reload()
            continue
        return drive(purchase_doc)
    raise Conflict("paymentInProgress", "A payment for this reservation is being processed; check your purchases "
                                        "in a moment.")


def _refuse_unless_payable(reservation: Reservation) -> None:
    if reservation.status != "active" or reservation.expires_ms <= now_ms():
        raise Conflict("reservationNotActive", "This reservation is no longer active; reserve the lead again if it "
                                               "is still listed.")
    if not _is_house_seller(reservation.seller):
        account = destination_of(reservation.seller)
        if account is None or not account.account_id or not account.charges_enabled:
            raise Conflict("sellerCannotBePaid", "The seller cannot receive payments right now; try again later.")


def _refuse_if_seller_suspended(reservation: Reservation, actor: Actor) -> None:
    """A suspended seller is never paid: cancel the buyer's hold (its listing is delisted, not relisted) and
    refuse, before any attempt is opened or Stripe is called."""
    if marketplace.seller_suspended(reservation.seller):
        _cancel_and_refuse(reservation, actor, seller_suspended_conflict())


def _refuse_if_already_owned(reservation: Reservation) -> None:
    """A buyer that made a lead with the reserved lead's e-mail since it reserved it is not charged for it: the hold
    is cancelled (the lead listed again) and the purchase refused, before any call to Stripe."""
    listing = marketplace.get_listing(reservation.listing)
    if listing is not None and marketplace.buyer_owns_lead(reservation.buyer, listing.email):
        _cancel_and_refuse(reservation, SYSTEM, Conflict(*marketplace.ALREADY_OWNED))


def _cancel_and_refuse(reservation: Reservation, actor: Actor, refusal: Conflict) -> None:
    """Cancel a hold that cannot be paid for, then refuse with ``refusal``: the buyer is never left holding it."""
    try:
        cancel(reservation.buyer, reservation.id, actor)
    except Conflict:
        pass  # closed meanwhile (expired, or a payment in flight, which _intent_for refuses in turn)
    raise refusal


def _is_house_seller(partner_id: str) -> bool:
    partner = Partner.objects(id=partner_id).only("is_platform").first()
    return bool(partner and partner.is_platform)


def _claim_attempt(reservation: Reservation, payment_method: str, user_id: str | None) -> Purchase | None:
    """Open the next attempt on the reservation (one conditional update), then record it; None if beaten."""
    purchase_id = new_id()
    now = now_ms()
    hold = int(current_app.config["PAYMENTS_PAYMENT_HOLD_MINUTES"] * 60 * 1000)
    claimed = Reservation.objects(id=reservation.id, status="active", open_purchase=None,
                                  expires_ms__gt=now).modify(
        new=True, set__open_purchase=purchase_id, inc__payment_attempts=1,
        set__paying_until_ms=now + hold, set__updated_at=utcnow())
    if claimed is None:
        return None
    return _record_attempt(claimed, purchase_id, payment_method, user_id)


def _record_attempt(reservation: Reservation, purchase_id: str, payment_method: str,
                    user_id: str | None) -> Purchase:
    house = _is_house_seller(reservation.seller)
    split = money.split(reservation.price, current_app.config["PAYMENTS_PLATFORM_FEE_BPS"], house_sale=house)
    account = None if house else destination_of(reservation.seller)
    attempt = reservation.payment_attempts
    record = Purchase(
        id=purchase_id, reservation=reservation.id, attempt=attempt,
        attempt_key=_attempt_key(reservation.id, attempt), listing=reservation.listing, lead=reservation.lead,
        seller=reservation.seller, buyer=reservation.buyer, buyer_user=user_id or reservation.buyer_user,
        amount=split.amount, platform_fee=split.platform_fee, seller_payout=split.seller_payout,
        currency=reservation.currency, house_sale=house, destination=account.account_id if account else None,
        payment_method=payment_method, lease_ms=now_ms() + lease_ms(), industry=reservation.industry,
        listed_at=reservation.listed_at, reserved_at=from_ms(reservation.reserved_ms), buyer_lead=new_id())
    try:
        record.save(force_insert=True)
    except NotUniqueError:
        pass  # a successor of a crashed request recorded it already
    return Purchase.objects(id=purchase_id).first()


def _join_open_attempt(reservation: Reservation, payment_method: str, user_id: str | None) -> Outcome | None:
    """A request for a reservation that already has an attempt open: resume it, wait for it, or replace it.

    Returns None when the attempt turned out to be closed (the caller looks again).
    """
    current = Purchase.objects(id=reservation.open_purchase).first()
    if current is None:  # the request that claimed it died before recording it: nothing reached Stripe
        current = _record_attempt(reservation, reservation.open_purchase, payment_method, user_id)
    if current.status == "succeeded":
        return Outcome(current, 200)
    if current.status not in OPEN_PURCHASE_STATUSES:
        _release_claim(current)
        return None
    if current.status == "requires_action" and current.payment_method != payment_method:
        # The buyer gave up on 3-D Secure and tries another card: cancel the old intent first.
        if _supersede(current):
            return None
        return Outcome(Purchase.objects(id=current.id).first(), 201)
    taken = Purchase.objects(id=current.id, status=current.status, lease_ms__lte=now_ms()).modify(
        new=True, set__lease_ms=now_ms() + lease_ms())
    if taken is not None:
        return drive(taken)
    if current.status == "requires_action":
        return Outcome(current, 202, _client_secret(current))
    raise Conflict("paymentInProgress", "A payment for this reservation is being processed; check your purchases "
                                        "in a moment.")


def _client_secret(purchase_doc: Purchase) -> str | None:
    with stripe_call("reading the payment"):
        intent = plain(client().v1.payment_intents.retrieve(purchase_doc.payment_intent))
    return intent["client_secret"]


def _supersede(purchase_doc: Purchase) -> bool:
    """Cancel an attempt waiting for 3-D Secure; True when it is closed (False: it had just succeeded)."""
    try:
        with stripe_call("cancelling the unfinished payment"):
            intent = plain(client().v1.payment_intents.cancel(
                purchase_doc.payment_intent, {"cancellation_reason": "abandoned"},
                {"idempotency_key": f"pc-cancel-{purchase_doc.attempt_key}"}))
    except StripeRefused:
        intent = plain(client().v1.payment_intents.retrieve(purchase_doc.payment_intent))
    if intent["status"] == "succeeded":
        record_success(purchase_doc, intent)
        return False
    record_failure(purchase_doc, reason="superseded", decline_code=None, message="Replaced by another card.")
    return True


def drive(purchase_doc: Purchase) -> Outcome:
    """Take an attempt we hold (its lease) as far as Stripe lets us now; every step can be repeated."""
    try:
        intent = _intent_for(purchase_doc)
        if intent["status"] in ("requires_confirmation", "requires_payment_method") and not _declined(intent):
            intent = _confirm(purchase_doc)
    except stripe.CardError as error:
        return _declined_outcome(purchase_doc, error)
    except StripeOutcomeUnknown:
        # Let the next request resume at once: the same keys make Stripe answer each call once.
        Purchase.objects(id=purchase_doc.id, **owned_by(purchase_doc), status__in=OPEN_PURCHASE_STATUSES).update_one(
            set__lease_ms=0)
        raise
    except StripeRefused as refused:
        if refused.param == "payment_method":
            # The card the buyer sent is unknown to Stripe (a typo, a token of another account, one that expired):
            # theirs to fix, like a decline, not an outage of ours.
            record_failure(purchase_doc, reason="payment_method_invalid", decline_code=refused.code,
                           message="Stripe does not know this payment method.")
            raise Invalid("paymentMethodId", "Stripe does not know this payment method. Nothing was charged; your "
                                             "reservation is kept, so you can try another card.") from None
        record_failure(purchase_doc, reason="stripe_refused", decline_code=None, message="Stripe refused the payment.")
        raise
    return apply_intent(purchase_doc, intent)


def _declined(intent) -> bool:
    return intent["status"] == "requires_payment_method" and bool(intent.get("last_payment_error"))


def _intent_for(purchase_doc: Purchase):
    """The attempt's PaymentIntent: created once (same key on every retry), or read back when known."""
    if purchase_doc.payment_intent:
        with stripe_call("reading the payment"):
            return plain(client().v1.payment_intents.retrieve(purchase_doc.payment_intent))
    if marketplace.seller_suspended(purchase_doc.seller):
        # An attempt opened before the suspension and resumed now (a retry, the sweeper) must not pay it either.
        record_failure(purchase_doc, reason="seller_suspended", decline_code=None,
                       message="The seller was suspended; nothing was charged.")
        raise seller_suspended_conflict()
    params = {"amount": purchase_doc.amount, "currency": purchase_doc.currency,
              "payment_method": purchase_doc.payment_method, "payment_method_types": ["card"],
              "description": f"Partner Connector lead purchase {purchase_doc.id}",
              "transfer_group": purchase_doc.reservation,
              "metadata": {"purchaseId": purchase_doc.id, "reservationId": purchase_doc.reservation,
                           "listingId": purchase_doc.listing, "buyerPartnerId": purchase_doc.buyer,
                           "sellerPartnerId": purchase_doc.seller}}
    if not purchase_doc.house_sale:
        params["application_fee_amount"] = purchase_doc.platform_fee
        params["transfer_data"] = {"destination": purchase_doc.destination}
    with stripe_call("starting the payment"):
        intent = plain(client().v1.payment_intents.create(params, {"idempotency_key": f"pc-pi-{purchase_doc.attempt_key}"}))
    Purchase.objects(id=purchase_doc.id, **owned_by(purchase_doc), payment_intent=None).update_one(
        set__payment_intent=intent["id"], set__updated_at=utcnow())
    purchase_doc.payment_intent = intent["id"]
    return intent


def _confirm(purchase_doc: Purchase):
    frontend = current_app.config["FRONTEND_URL"].rstrip("/")
    with stripe_call("confirming the payment"):
        return plain(client().v1.payment_intents.confirm(
            purchase_doc.payment_intent,
            {"payment_method": purchase_doc.payment_method,
             "return_url": f"{frontend}/marketplace/purchases/{purchase_doc.id}"},
            {"idempotency_key": f"pc-confirm-{purchase_doc.attempt_key}"}))


def _declined_outcome(purchase_doc: Purchase, error: stripe.CardError) -> Outcome:
    code = getattr(error, "code", None)
    decline_code = (error.json_body or {}).get("error", {}).get("decline_code") if error.json_body else None
    decline_code = decline_code or code or "card_declined"
    message = error.user_message or "Your card was declined."
    record_failure(purchase_doc, reason="declined", decline_code=decline_code, message=message)
    raise PaymentDeclined(f"{message} Nothing was charged; your reservation is kept, so you can try another card.",
                          decline_code=decline_code)


def apply_intent(purchase_doc: Purchase, intent) -> Outcome:
    """Record what the PaymentIntent says and answer accordingly."""
    if intent["status"] == "succeeded":
        return Outcome(record_success(purchase_doc, intent), 201)
    if intent["status"] == "requires_action":
        Purchase.objects(id=purchase_doc.id, **owned_by(purchase_doc), status="pending").update_one(
            set__status="requires_action", set__updated_at=utcnow())
        return Outcome(Purchase.objects(id=purchase_doc.id).first(), 202, intent["client_secret"])
    if intent["status"] == "canceled" or _declined(intent):
        error = intent.get("last_payment_error") or {}
        record_failure(purchase_doc, reason="declined" if error else "canceled",
                       decline_code=error.get("decline_code") or error.get("code"), message=error.get("message"))
        current = Purchase.objects(id=purchase_doc.id).first()
        if current.status == "succeeded":
            return Outcome(current, 201)
        raise PaymentDeclined(f"{current.failure_message or 'Your card was declined.'} Nothing was charged; your "
                              f"reservation is kept.", decline_code=current.decline_code)
    return Outcome(Purchase.objects(id=purchase_doc.id).first(), 202, None)  # processing: the webhook finishes it


def record_success(purchase_doc: Purchase, intent) -> Purchase:
    """The money is taken: mark the attempt succeeded (from any open or failed state) and complete the sale."""
    charge = intent.get("latest_charge")
    charge_id = charge if isinstance(charge, str) or charge is None else charge.get("id")
    Purchase.objects(id=purchase_doc.id, **owned_by(purchase_doc),
                     status__in=("pending", "requires_action", "failed")).update_one(
        set__status="succeeded", set__charge=charge_id, set__payment_intent=intent.get("id"),
        set__succeeded_at=utcnow(), unset__decline_code=True, set__lease_ms=0, set__updated_at=utcnow())
    return sale.complete(purchase_doc.id)


def record_failure(purchase_doc: Purchase, *, reason: str, decline_code: str | None, message: str | None) -> bool:
    """Close an open attempt as failed (never a succeeded one) and free the reservation for the next card."""
    failed = Purchase.objects(id=purchase_doc.id, status__in=OPEN_PURCHASE_STATUSES).modify(
        new=True, set__status="failed", set__decline_code=decline_code, set__failure_message=message,
        set__lease_ms=0, set__updated_at=utcnow())
    if failed is None:
        return False
    _release_claim(failed)
    payload = {"purchaseId": failed.id, "reservationId": failed.reservation, "listingId": failed.listing,
               "buyerPartnerId": failed.buyer, "reason": reason}
    if decline_code:
        payload["declineCode"] = decline_code
    emit("payments.purchase_failed", partner_ids=[failed.buyer], actor=STRIPE, payload=payload)
    return True


def _release_claim(purchase_doc: Purchase) -> None:
    Reservation.objects(id=purchase_doc.reservation, buyer=purchase_doc.buyer, open_purchase=purchase_doc.id).update_one(
        set__open_purchase=None, set__paying_until_ms=0, set__updated_at=utcnow())


def purchase_of_intent(intent) -> Purchase | None:
    purchase_id = (intent.get("metadata") or {}).get("purchaseId")
    found = Purchase.objects(id=purchase_id).first() if purchase_id else None
    return found or Purchase.objects(payment_intent=intent.get("id")).first()


def on_intent_succeeded(intent) -> None:
    """``payment_intent.succeeded``: the same end state as the API answer, whichever comes first."""
    purchase_doc = purchase_of_intent(intent)
    if purchase_doc is None:
        log.warning("payment_intent.succeeded for an unknown purchase: %s", intent.get("id"))
        return
    if int(intent.get("amount") or 0) != purchase_doc.amount:
        log.error("payment %s amount %s does not match purchase %s", intent.get("id"), intent.get("amount"),
                  purchase_doc.id)
    if purchase_doc.status == "refunded":
        return
    record_success(purchase_doc, intent)


def on_intent_failed(intent) -> None:
    """``payment_intent.payment_failed``: closes an open attempt; a late one never undoes a success."""
    purchase_doc = purchase_of_intent(intent)
    if purchase_doc is None:
        return
    error = intent.get("last_payment_error") or {}
    record_failure(purchase_doc, reason="authentication_failed" if purchase_doc.status == "requires_action"
                   else "declined", decline_code=error.get("decline_code") or error.get("code"),
                   message=error.get("message"))


def reconcile(purchase_id: str) -> str:
    """Sweeper: an open attempt whose driver is gone. Read the intent and apply it; never confirm on our own.

    An attempt whose intent was never created (or never confirmed) cannot have taken money: it is
    closed as failed (its unconfirmed intent cancelled), and the buyer may pay again.
    """
    taken = Purchase.objects(id=purchase_id, status__in=OPEN_PURCHASE_STATUSES, lease_ms__lte=now_ms()).modify(
        new=True, set__lease_ms=now_ms() + lease_ms())
    if taken is None:
        return "busy"
    if not taken.payment_intent:
        record_failure(taken, reason="stripe_unavailable", decline_code=None, message="The payment did not start.")
        return "closed"
    with stripe_call("reading the payment"):
        intent = plain(client().v1.payment_intents.retrieve(taken.payment_intent))
    if intent["status"] == "succeeded":
        record_success(taken, intent)
        return "succeeded"
    if intent["status"] == "requires_action":
        hold_until = Reservation.objects(id=taken.reservation).only("paying_until_ms").first()
        if hold_until is not None and hold_until.paying_until_ms > now_ms():
            Purchase.objects(id=taken.id, **owned_by(taken)).update_one(set__lease_ms=hold_until.paying_until_ms)
            return "waiting"
    if intent["status"] in ("requires_confirmation", "requires_payment_method", "requires_action"):
        with stripe_call("cancelling the unfinished payment"):
            intent = plain(client().v1.payment_intents.cancel(taken.payment_intent, {"cancellation_reason": "abandoned"},
                                                        {"idempotency_key": f"pc-cancel-{taken.attempt_key}"}))
        if intent["status"] == "succeeded":
            record_success(taken, intent)
            return "succeeded"
    if intent["status"] in ("canceled", "requires_payment_method"):
        record_failure(taken, reason="canceled", decline_code=None, message="The payment was not completed.")
        return "closed"
    return "waiting"


def visible_purchase(user, partner_id: str | None, purchase_id: str) -> Purchase:
    """A purchase the caller may see: its buyer's, its seller's, or any for platform staff.

    :raises NotFound: otherwise (ids cannot be probed).
    """
    purchase_doc = Purchase.objects(id=purchase_id).first()
    if purchase_doc is None or not (user.is_platform or partner_id in (purchase_doc.buyer, purchase_doc.seller)):
        raise NotFound("purchase")
    return purchase_doc


def purchases_of(partner_id: str | None, side: str):
    """Purchases of a partner as ``buyer`` or ``seller`` (every one for platform staff: ``partner_id`` None)."""
    if partner_id is None:
        return Purchase.objects().order_by("-created_at", "-id")
    return Purchase.objects(**{side: partner_id}).order_by("-created_at", "-id")
