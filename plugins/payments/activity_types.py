"""How the payments plugin's events read in the activity feed, mails and webhooks (its ``pc_activity_types``).

Each party to a reservation or a sale reads its own sentence (``sentences`` by the payload field
naming it). Money events stay with partner owners, as the event contract says; a sale and an
expiring hold are worth an e-mail by default, the rest stay in the app and on webhooks.
Until a sale the parties stay anonymous to each other: a hold's ``buyerPartnerId`` and
``sellerPartnerId`` reach only the partner each names (``onlyToNamed``); a sale and its refund
name both, as the seller's listings show the buyer once sold.
"""

_HOLD = {"reservation": "reservationId", "listing": "listingId", "lead": "leadId"}
ALL_CHANNELS = ["in_app", "email", "webhook"]
_PARTIES = ["buyerPartnerId", "sellerPartnerId"]

TYPES = {
    "payments.lead_reserved": {
        "sentences": {"sellerPartnerId": "A buyer reserved {leadName} at {price:money}.",
                      "buyerPartnerId": "{actorName} reserved a lead at {price:money}; pay before the hold ends."},
        "onlyToNamed": _PARTIES, "icon": "clock", "subjects": _HOLD, "channels": ALL_CHANNELS},
    "payments.reservation_extended": {
        "sentences": {"sellerPartnerId": "The buyer extended its reservation of {leadName}.",
                      "buyerPartnerId": "{actorName} extended a reservation."},
        "onlyToNamed": _PARTIES, "icon": "clock", "subjects": _HOLD},
    "payments.reservation_cancelled": {
        "sentences": {"sellerPartnerId": "The buyer gave up its reservation of {leadName}; it is listed again.",
                      "buyerPartnerId": "{actorName} cancelled a reservation."},
        "onlyToNamed": _PARTIES, "icon": "x-circle", "subjects": _HOLD},
    "payments.reservation_expiring": {
        "sentence": "A reservation of yours ends soon: pay for the lead or extend the hold.",
        "onlyToNamed": _PARTIES, "icon": "alarm-clock", "subjects": _HOLD, "channels": ALL_CHANNELS},
    "payments.reservation_expired": {
        "sentences": {"sellerPartnerId": "A reservation of {leadName} ran out unpaid; it is listed again.",
                      "buyerPartnerId": "A reservation ran out unpaid; the lead went back on the marketplace."},
        "onlyToNamed": _PARTIES, "icon": "clock", "subjects": _HOLD},
    "payments.purchase_succeeded": {
        "sentences": {"sellerPartnerId": "{leadName} sold for {amount:money}; your payout is {sellerPayout:money}.",
                      "buyerPartnerId": "{actorName} bought a lead for {amount:money}; it is now in your leads."},
        "icon": "credit-card", "audience": "owners", "channels": ALL_CHANNELS,
        "subjects": {"purchase": "purchaseId", "listing": "listingId", "lead": "leadId"},
        "private": ["paymentIntentId"]},
    "payments.purchase_failed": {
        "sentence": "A card payment of yours for a reserved lead failed; the reservation is kept.",
        "icon": "alert-triangle", "audience": "owners", "channels": ALL_CHANNELS,
        "subjects": {"purchase": "purchaseId", "reservation": "reservationId", "listing": "listingId"}},
    "payments.purchase_refunded": {
        "sentences": {"sellerPartnerId": "The sale of {leadName} was refunded ({amount:money}).",
                      "buyerPartnerId": "A purchase of {amount:money} was refunded to your card."},
        "icon": "rotate-ccw", "audience": "owners", "channels": ALL_CHANNELS,
        "subjects": {"purchase": "purchaseId", "listing": "listingId", "lead": "leadId"}},
    "payments.payouts_enabled": {
        "sentence": "Stripe now pays out to you: you can list leads for sale.",
        "icon": "dollar-sign", "audience": "owners", "channels": ALL_CHANNELS, "private": ["accountId"]},
}
