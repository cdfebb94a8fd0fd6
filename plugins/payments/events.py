"""The events the payments plugin emits (its part of the event catalog; the contract is CONTRACT_EVENTS.md)."""
from pc_app.toolkit import EventType

_RESERVATION = {"reservationId": "the reservation", "listingId": "the listing", "leadId": "the seller's lead",
                "buyerPartnerId": "the buyer", "sellerPartnerId": "the seller"}
# Before a sale the parties do not know each other: activities and webhooks carry each id to the partner it names only.
_HOLD = {**_RESERVATION, "buyerPartnerId": "the buyer (in activities and webhooks: the buyer's only)",
         "sellerPartnerId": "the seller (in activities and webhooks: the seller's only)"}
_MONEY = {"amount": "what the buyer paid, in cents", "platformFee": "the platform's share, in cents",
          "sellerPayout": "the seller's share, in cents (platformFee + sellerPayout == amount)",
          "currency": "ISO currency, lower-case"}

EVENTS = [
    EventType("payments.lead_reserved", "A buyer reserved a listed lead: the countdown hold started.",
              {**_HOLD, "price": "the listing's price in cents", "currency": "ISO currency, lower-case",
               "expiresAt": "when the hold ends (ISO time)", "industry": "the lead's industry, or null"},
              concerns="the buyer and the seller"),
    EventType("payments.reservation_extended", "A buyer extended its reservation.",
              {**_HOLD, "expiresAt": "the new end of the hold (ISO time)",
               "extensionsUsed": "extensions used so far"},
              concerns="the buyer and the seller", optional=("extensionsUsed",)),
    EventType("payments.reservation_cancelled", "A buyer gave up its reservation; the lead is listed again.",
              _HOLD, concerns="the buyer and the seller"),
    EventType("payments.reservation_expiring", "A reservation ends soon (PAYMENTS_REMINDER_HOURS before).",
              {key: _HOLD[key] for key in ("reservationId", "listingId", "leadId", "buyerPartnerId")}
              | {"expiresAt": "when the hold ends (ISO time)"}, concerns="the buyer"),
    EventType("payments.reservation_expired", "A reservation ran out unpaid; the lead is listed again.",
              _HOLD, concerns="the buyer and the seller"),
    EventType("payments.purchase_succeeded", "A buyer paid for a reserved lead: the lead is sold.",
              {"purchaseId": "the purchase", **_RESERVATION, "buyerLeadId": "the buyer's own copy of the lead",
               **_MONEY, "industry": "the lead's industry, or null", "listedAt": "when it was listed (ISO time)",
               "reservedAt": "when it was reserved (ISO time)",
               "paymentIntentId": "Stripe's PaymentIntent", "houseSale": "sold by the platform's own partner"},
              concerns="the buyer and the seller", optional=("paymentIntentId", "houseSale")),
    EventType("payments.purchase_failed", "A card payment for a reservation failed; the reservation is kept.",
              {"purchaseId": "the purchase", "reservationId": "the reservation", "listingId": "the listing",
               "buyerPartnerId": "the buyer", "declineCode": "the card network's reason, when given",
               "reason": "declined, authentication_failed, superseded, canceled, stripe_unavailable, "
                         "payment_method_invalid (Stripe does not know the card sent), stripe_refused (Stripe "
                         "refused the payment for a reason of ours), seller_suspended (an attempt resumed after the seller "
                         "was suspended: no payment started), or "
                         "listing_unavailable (paid after the hold lapsed while another buyer held the lead: "
                         "refunded in full at once, no sale happened)"},
              concerns="the buyer", optional=("declineCode", "reason")),
    EventType("payments.purchase_refunded", "A purchase was refunded in full: the sale is undone.",
              {"purchaseId": "the purchase", "listingId": "the listing", "leadId": "the seller's lead",
               "buyerPartnerId": "the buyer", "sellerPartnerId": "the seller", **_MONEY,
               "industry": "the lead's industry, or null",
               "reason": "the platform's reason (or refunded_at_stripe for a refund made in Stripe's dashboard)"},
              concerns="the buyer and the seller"),
    EventType("payments.payouts_enabled", "Stripe now pays out to the partner: it may list leads for sale.",
              {"partnerId": "the partner", "accountId": "its Stripe connected account"},
              concerns="the partner"),
]
