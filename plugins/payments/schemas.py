"""Payments schemas: reservations, purchases, refunds, payouts, invoices and Stripe's webhook answer."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from pc_app.toolkit import ClockFields, PageArgsSchema, ResponseSchema, Schema, UtcDateTime, page_schema
from pc_app.toolkit import vocabulary as v

from .models import INVOICE_TYPES, PURCHASE_STATUSES, RESERVATION_STATUSES
from .services.clock import iso, now_ms

OBJECT_ID = validate.Regexp(r"^[0-9a-f]{24}$", error="Not an id.")
_DATETIME = {"type": "string", "format": "date-time"}


class ReservationSchema(ResponseSchema):
    """A buyer's hold on a listed lead, with the countdown and the card as the buyer saw it."""
    id = ma.fields.String()
    leadId = ma.fields.String(attribute="lead")
    listingId = ma.fields.String(attribute="listing")
    sellerPartnerId = ma.fields.String(attribute="seller")
    status = ma.fields.String(validate=validate.OneOf(RESERVATION_STATUSES))
    price = ma.fields.Integer(metadata={"description": "cents"})
    currency = ma.fields.String(validate=validate.OneOf(v.CURRENCIES))
    reservedAt = ma.fields.Method("_reserved_at", metadata=_DATETIME)
    expiresAt = ma.fields.Method("_expires_at", metadata=_DATETIME)
    secondsLeft = ma.fields.Method("_seconds_left", metadata={"type": "integer",
                                                              "description": "0 once the hold is over"})
    extensionsUsed = ma.fields.Integer(attribute="extensions_used")
    paymentInProgress = ma.fields.Method("_paying", metadata={
        "type": "boolean", "description": "A card payment for it is being processed"})
    purchaseId = ma.fields.String(attribute="purchase", allow_none=True)
    listing = ma.fields.Dict(attribute="card", metadata={"description": "the listing's masked card (leadId, price, "
                                                                        "company, jobTitle, industry, ...)"})
    closedAt = UtcDateTime(attribute="closed_at", allow_none=True)

    def _reserved_at(self, obj):
        return iso(obj.reserved_ms)

    def _expires_at(self, obj):
        return iso(obj.expires_ms)

    def _seconds_left(self, obj):
        return seconds_left(obj.status, obj.expires_ms, now_ms())

    def _paying(self, obj):
        return paying(obj.status, obj.paying_until_ms, now_ms())


def seconds_left(status: str, expires_ms: int, now: int) -> int:
    """A reservation's countdown: whole seconds to ``expires_ms``, 0 once over or closed."""
    return max((expires_ms - now) // 1000, 0) if status == "active" else 0


def paying(status: str, paying_until_ms: int | None, now: int) -> bool:
    """Whether a card payment for an active reservation is being processed (its hold runs to ``paying_until_ms``)."""
    return status == "active" and (paying_until_ms or 0) > now


def _clock_inputs(row) -> list:
    return [row.status, row.expires_ms, row.paying_until_ms]


def _fill_clock(items: list[dict], inputs: list[list]) -> None:
    now = now_ms()
    for item, (status, expires_ms, paying_until_ms) in zip(items, inputs):
        item["secondsLeft"] = seconds_left(status, expires_ms, now)
        item["paymentInProgress"] = paying(status, paying_until_ms, now)


# A kept page of reservations has its countdown and payment flag worked out at every answer.
RESERVATION_CLOCK = ClockFields(_clock_inputs, _fill_clock)

ReservationPageSchema = page_schema(ReservationSchema, "ReservationPageSchema")


# Examples for the OpenAPI document (tests/e2e/test_openapi_contract.py checks them against the schemas).
RESERVATION_EXAMPLE = {
    "id": "6b0b5344195d341506b38cb4", "leadId": "6b0b5344195d341506b38cb0", "listingId": "6b0b5344195d341506b38cb2",
    "sellerPartnerId": "6b0b5344195d341506b38caa", "status": "active", "price": 5000, "currency": "usd",
    "reservedAt": "2026-11-28T22:18:44.864+00:00", "expiresAt": "2026-12-05T22:18:44.864+00:00",
    "secondsLeft": 604799, "extensionsUsed": 0, "paymentInProgress": False, "purchaseId": None,
    "listing": {"id": "6b0b5344195d341506b38cb2", "leadId": "6b0b5344195d341506b38cb0", "price": 5000,
                "currency": "usd", "firstName": "Ada", "company": "Analytical Engines Ltd",
                "jobTitle": "Head of Engineering", "seniority": "director", "industry": "saas",
                "companySize": "51-200", "country": "GB", "email": "a***@analytical.example",
                "phone": "+44 ** **** 8750", "leadCreatedAt": "2026-11-28T22:18:44.835+00:00",
                "listedAt": "2026-11-28T22:18:44.848+00:00"},
    "closedAt": None}
PURCHASE_REQUEST_EXAMPLE = {"reservationId": "6b0b5344195d341506b38cb4", "paymentMethodId": "pm_card_visa"}
PURCHASE_EXAMPLE = {
    "id": "6b0b5344195d341506b38cb6", "reservationId": "6b0b5344195d341506b38cb4", "attempt": 1,
    "listingId": "6b0b5344195d341506b38cb2", "leadId": "6b0b5344195d341506b38cb0",
    "buyerLeadId": "6b0b5344195d341506b38cb7", "buyerPartnerId": "6b0b5344195d341506b38cac",
    "sellerPartnerId": "6b0b5344195d341506b38caa", "amount": 5000, "platformFee": 1000, "sellerPayout": 4000,
    "currency": "usd", "status": "succeeded", "declineCode": None, "failureMessage": None,
    "paymentIntentId": "pi_3QxYz2AbCdEfGh", "refundReason": None, "createdAt": "2026-11-28T22:18:44.881+00:00",
    "succeededAt": "2026-11-28T22:18:44.905+00:00", "refundedAt": None}


class ReservationArgsSchema(PageArgsSchema):
    status = ma.fields.String(validate=validate.OneOf(RESERVATION_STATUSES),
                              metadata={"description": "Only reservations in this status"})


class PurchaseRequestSchema(Schema):
    reservationId = ma.fields.String(required=True, validate=OBJECT_ID)
    paymentMethodId = ma.fields.String(required=True, validate=validate.Length(min=1, max=255),
                                       metadata={"description": "A Stripe PaymentMethod id (pm_...), from Stripe.js"})


class PurchaseSchema(ResponseSchema):
    """A payment attempt for a reservation and the sale it completed."""
    id = ma.fields.String()
    reservationId = ma.fields.String(attribute="reservation")
    attempt = ma.fields.Integer()
    listingId = ma.fields.String(attribute="listing")
    leadId = ma.fields.String(attribute="lead", metadata={"description": "the seller's lead"})
    buyerLeadId = ma.fields.Method("_buyer_lead", metadata={"type": "string", "nullable": True,
                                                            "description": "the buyer's own copy, once bought"})
    buyerPartnerId = ma.fields.String(attribute="buyer")
    sellerPartnerId = ma.fields.String(attribute="seller")
    amount = ma.fields.Integer(metadata={"description": "cents the buyer pays"})
    platformFee = ma.fields.Integer(attribute="platform_fee")
    sellerPayout = ma.fields.Integer(attribute="seller_payout")
    currency = ma.fields.String(validate=validate.OneOf(v.CURRENCIES))
    status = ma.fields.String(validate=validate.OneOf(PURCHASE_STATUSES))
    declineCode = ma.fields.String(attribute="decline_code", allow_none=True)
    failureMessage = ma.fields.String(attribute="failure_message", allow_none=True)
    paymentIntentId = ma.fields.String(attribute="payment_intent", allow_none=True)
    refundReason = ma.fields.String(attribute="refund_reason", allow_none=True)
    createdAt = UtcDateTime(attribute="created_at")
    succeededAt = UtcDateTime(attribute="succeeded_at", allow_none=True)
    refundedAt = UtcDateTime(attribute="refunded_at", allow_none=True)

    def _buyer_lead(self, obj):
        return obj.buyer_lead if "buyerLead" in (obj.steps or []) else None


PurchasePageSchema = page_schema(PurchaseSchema, "PurchasePageSchema")


class PurchaseActionSchema(ResponseSchema):
    """202: the card needs 3-D Secure; finish it with Stripe.js and ``clientSecret``, the webhook completes the sale."""
    purchaseId = ma.fields.String()
    status = ma.fields.String(validate=validate.OneOf(PURCHASE_STATUSES))
    clientSecret = ma.fields.String(allow_none=True)


class PurchasesArgsSchema(PageArgsSchema):
    as_ = ma.fields.String(data_key="as", load_default="buyer", validate=validate.OneOf(("buyer", "seller")),
                           metadata={"description": "your purchases (buyer) or your sales (seller); platform staff "
                                                    "see every purchase"})


class RefundSchema(Schema):
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=500),
                              metadata={"description": "why (kept with the purchase; duplicate and fraudulent are "
                                                       "passed on to Stripe)"})


class OnboardingLinkSchema(ResponseSchema):
    url = ma.fields.String(metadata={"description": "Stripe's onboarding page: open it once, before expiresAt"})
    expiresAt = UtcDateTime()


class PayoutStatusSchema(ResponseSchema):
    accountId = ma.fields.String(allow_none=True)
    chargesEnabled = ma.fields.Boolean()
    payoutsEnabled = ma.fields.Boolean()
    detailsSubmitted = ma.fields.Boolean()
    requirements = ma.fields.Dict(metadata={"description": "currentlyDue, pastDue, eventuallyDue, disabledReason"})
    refreshedAt = UtcDateTime(allow_none=True)


class InvoiceLineSchema(ResponseSchema):
    description = ma.fields.String()
    amount = ma.fields.Integer(metadata={"description": "cents (negative for fees and cancellations)"})


class InvoiceSchema(ResponseSchema):
    id = ma.fields.String()
    number = ma.fields.String(metadata={"description": "PC-YYYY-NNNNNN, gap-free per year"})
    invoiceType = ma.fields.String(attribute="invoice_type", validate=validate.OneOf(INVOICE_TYPES))
    purchaseId = ma.fields.String(attribute="purchase")
    partnerId = ma.fields.String(attribute="partner")
    counterpartPartnerId = ma.fields.String(attribute="counterpart", allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(InvoiceLineSchema))
    total = ma.fields.Integer(metadata={"description": "cents"})
    currency = ma.fields.String(validate=validate.OneOf(v.CURRENCIES))
    issuedAt = UtcDateTime(attribute="issued_at")
    referencesInvoiceId = ma.fields.String(attribute="references", allow_none=True)
    pdfUrl = ma.fields.Function(lambda invoice: f"/v1/invoices/{invoice.id}/pdf", metadata={"type": "string"})


InvoicePageSchema = page_schema(InvoiceSchema, "InvoicePageSchema")


class InvoiceArgsSchema(PageArgsSchema):
    type = ma.fields.String(validate=validate.OneOf(INVOICE_TYPES), metadata={"description": "Only invoices of this type"})


class WebhookAnswerSchema(ResponseSchema):
    received = ma.fields.Boolean()
    duplicate = ma.fields.Boolean()
