"""The payments collections: payout accounts, reservations, purchases, invoices, Stripe events, replayed answers.

Times that queries compare (expiry, leases, reminders) are epoch milliseconds in ``*_ms``
integer fields: a datetime written by ``$set`` does not compare reliably on our local
MongoDB stand-in. Keys that must be unique only while a record is open (a buyer's slot,
a reservation's open payment) are sparse unique fields unset when the record closes.
"""
from __future__ import annotations

from mongoengine import BooleanField, DictField, IntField, ListField, StringField

from pc_app.toolkit import BaseDocument, DateTimeField, RefField, TimestampedDocument, count_writes_by_owner, utcnow

RESERVATION_STATUSES = ("active", "purchased", "expired", "cancelled")
PURCHASE_STATUSES = ("pending", "requires_action", "succeeded", "failed", "refunded")
OPEN_PURCHASE_STATUSES = ("pending", "requires_action")
INVOICE_TYPES = ("purchase", "payout", "credit_note", "payout_reversal")


class PayoutAccount(TimestampedDocument):
    """A partner's Stripe Connect (Express) account and the flags Stripe last reported."""
    meta = {"collection": "payments_payout_accounts", "indexes": [
        {"fields": ["partner"], "unique": True},
        {"fields": ["account_id"], "unique": True, "sparse": True},
    ]}

    partner = RefField(required=True)
    account_id = StringField(null=True)
    charges_enabled = BooleanField(default=False)
    payouts_enabled = BooleanField(default=False)
    details_submitted = BooleanField(default=False)
    requirements = DictField(default=dict)
    refreshed_ms = IntField(default=0)


class Reservation(TimestampedDocument):
    """A buyer's countdown hold on one listing."""
    meta = {"collection": "payments_reservations", "indexes": [
        # At most PAYMENTS_MAX_ACTIVE_RESERVATIONS slots "<buyer>:<n>" per buyer while active.
        {"fields": ["slot_key"], "unique": True, "sparse": True},
        ("buyer", "status", "-created_at"),
        ("buyer", "-created_at"),
        ("status", "expires_ms"),
        ("status", "remind_ms"),
        ("status", "listing_released"),
        ("listing", "buyer", "status"),
    ]}

    listing = RefField(required=True)
    lead = RefField(required=True)
    seller = RefField(required=True)
    buyer = RefField(required=True)
    buyer_user = RefField(null=True)
    price = IntField(required=True, min_value=0)
    currency = StringField(default="usd", max_length=3)
    industry = StringField(null=True)
    listed_at = DateTimeField()
    # The masked card as the buyer saw it when reserving (the listing's snapshot does not move under it).
    card = DictField(default=dict)
    status = StringField(choices=RESERVATION_STATUSES, default="active", required=True)
    slot_key = StringField()
    reserved_ms = IntField(required=True)
    expires_ms = IntField(required=True)
    expires_at = DateTimeField(required=True)
    hold_limit_ms = IntField(required=True)
    extensions_used = IntField(default=0)
    remind_ms = IntField(null=True)
    reminded = BooleanField(default=False)
    # A payment in flight holds the reservation until then (it does not expire under the payment).
    paying_until_ms = IntField(default=0)
    open_purchase = StringField(null=True)
    payment_attempts = IntField(default=0)
    # Closed reservations release their listing once; the sweeper finishes what a crash left.
    listing_released = BooleanField(default=True)
    closed_at = DateTimeField()
    closed_ms = IntField(null=True)
    purchase = RefField(null=True)


class Purchase(TimestampedDocument):
    """One payment attempt for a reservation, and the sale it completes.

    ``status``: pending → requires_action → succeeded | failed; succeeded → refunded. Each
    step of the sale after the payment (``steps``) is recorded once done, so any caller (the
    API answer, the webhook, the sweeper) can resume it and nothing happens twice.
    """
    meta = {"collection": "payments_purchases", "indexes": [
        {"fields": ["attempt_key"], "unique": True},
        {"fields": ["payment_intent"], "unique": True, "sparse": True},
        ("buyer", "-created_at"),
        ("seller", "-created_at"),
        "-created_at",  # platform staff list every purchase, newest first
        ("reservation", "-created_at"),
        ("listing", "buyer", "status"),
        ("status", "lease_ms"),
        ("status", "fulfilled"),
    ]}

    reservation = RefField(required=True)
    attempt = IntField(required=True)
    attempt_key = StringField(required=True)  # "<reservation>:<attempt>", also the Stripe idempotency key's root
    listing = RefField(required=True)
    lead = RefField(required=True)
    seller = RefField(required=True)
    buyer = RefField(required=True)
    buyer_user = RefField(null=True)
    amount = IntField(required=True, min_value=0)
    platform_fee = IntField(required=True, min_value=0)
    seller_payout = IntField(required=True, min_value=0)
    currency = StringField(default="usd", max_length=3)
    house_sale = BooleanField(default=False)
    destination = StringField(null=True)
    payment_method = StringField(required=True)
    status = StringField(choices=PURCHASE_STATUSES, default="pending", required=True)
    decline_code = StringField(null=True)
    failure_message = StringField(null=True)
    payment_intent = StringField(null=True)
    charge = StringField(null=True)
    transfer = StringField(null=True)
    refund = StringField(null=True)
    refund_reason = StringField(null=True)
    refunding = BooleanField(default=False)
    # Whoever drives the payment right now holds it until then; a crashed driver's lease runs out.
    lease_ms = IntField(default=0)
    industry = StringField(null=True)
    listed_at = DateTimeField()
    reserved_at = DateTimeField()
    buyer_lead = RefField(null=True)
    steps = ListField(StringField(), default=list)
    fulfilled = BooleanField(default=False)
    succeeded_at = DateTimeField()
    refunded_at = DateTimeField()


class InvoiceCounter(BaseDocument):
    """The last number issued in one year, and the invoice whose number is being written."""
    meta = {"collection": "payments_invoice_counters"}

    seq = IntField(default=0)
    pending = StringField(null=True)


class Invoice(TimestampedDocument):
    """A purchase invoice, payout statement, credit note or payout reversal, numbered once written."""
    meta = {"collection": "payments_invoices", "indexes": [
        {"fields": ["draft_key"], "unique": True},
        {"fields": ["number"], "unique": True, "sparse": True},
        ("partner", "-created_at"),
        "-created_at",  # platform staff list every invoice, newest first
        ("purchase", "invoice_type"),
    ]}

    draft_key = StringField(required=True)  # "<purchase>:<type>": one invoice of each type per purchase
    invoice_type = StringField(choices=INVOICE_TYPES, required=True)
    purchase = RefField(required=True)
    partner = RefField(required=True)
    counterpart = RefField(null=True)
    year = IntField(required=True)
    number = StringField()
    lines = ListField(DictField(), default=list)
    total = IntField(required=True)
    currency = StringField(default="usd", max_length=3)
    issued_at = DateTimeField()
    status = StringField(choices=("draft", "issued"), default="draft")
    references = StringField(null=True)  # the invoice a credit note or reversal cancels


class StripeEvent(BaseDocument):
    """A webhook event received from Stripe, stored once by its id (duplicates are recognised)."""
    meta = {"collection": "payments_stripe_events", "indexes": [
        ("processed", "received_ms"),
        {"fields": ["received_at"], "expireAfterSeconds": 90 * 24 * 3600},
    ]}

    type = StringField(required=True)
    payload = DictField(default=dict)
    processed = BooleanField(default=False)
    deliveries = IntField(default=1)
    received_at = DateTimeField(default=utcnow)
    received_ms = IntField(required=True)
    error = StringField(null=True)


class ReplayedAnswer(BaseDocument):
    """The first answer to a client's ``Idempotency-Key``, replayed for the same body for 24 hours."""
    meta = {"collection": "payments_replayed_answers", "indexes": [
        {"fields": ["created_at"], "expireAfterSeconds": 24 * 3600},
    ]}

    body_hash = StringField(required=True)
    status = IntField(null=True)  # None while the first request runs
    body = DictField(null=True)
    created_at = DateTimeField(default=utcnow)


# A buyer's reservations, a partner's purchases (as the buyer or as the seller) and its invoices are
# listed per partner: another partner's reservation, sale or invoice does not end them.
count_writes_by_owner(Reservation._meta["collection"], "buyer")
count_writes_by_owner(Purchase._meta["collection"], "buyer", "seller")
count_writes_by_owner(Invoice._meta["collection"], "partner")

PAYMENTS_MODELS = [PayoutAccount, Reservation, Purchase, InvoiceCounter, Invoice, StripeEvent, ReplayedAnswer]
