"""A test plugin that declares the payments and sync events exactly as CONTRACT_EVENTS.md lists them.

The payments and sync plugins are written beside analytics; until they land, the analytics
tests emit their events through this catalog, so the analytics code meets the same names and
payloads it will meet from the real plugins (never enable it together with them).
"""
from pc_app import hookimpl

NAME = "analytics_contract_events"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1,<2"}

_BOTH = "the buyer and the seller"


def _fields(*names: str) -> dict:
    return {name: f"contract field {name}" for name in names}


def contract_events():
    from pc_app.toolkit import EventType

    return [
        EventType("payments.lead_reserved", "A buyer reserved a listed lead.",
                  _fields("reservationId", "listingId", "leadId", "buyerPartnerId", "sellerPartnerId", "price",
                          "currency", "expiresAt", "industry"), concerns=_BOTH),
        EventType("payments.reservation_extended", "A buyer extended its reservation.",
                  _fields("reservationId", "listingId", "leadId", "buyerPartnerId", "sellerPartnerId", "expiresAt"),
                  concerns=_BOTH),
        EventType("payments.reservation_cancelled", "A buyer gave up its reservation.",
                  _fields("reservationId", "listingId", "leadId", "buyerPartnerId", "sellerPartnerId"), concerns=_BOTH),
        EventType("payments.reservation_expiring", "A reservation ends soon.",
                  _fields("reservationId", "listingId", "leadId", "buyerPartnerId", "expiresAt"), concerns="the buyer"),
        EventType("payments.reservation_expired", "A reservation ran out unpaid.",
                  _fields("reservationId", "listingId", "leadId", "buyerPartnerId", "sellerPartnerId"), concerns=_BOTH),
        EventType("payments.purchase_succeeded", "A buyer paid for a reserved lead.",
                  _fields("purchaseId", "reservationId", "listingId", "leadId", "buyerLeadId", "buyerPartnerId",
                          "sellerPartnerId", "amount", "platformFee", "sellerPayout", "currency", "industry",
                          "listedAt", "reservedAt"), concerns=_BOTH),
        EventType("payments.purchase_failed", "A card payment failed.",
                  _fields("purchaseId", "reservationId", "listingId", "buyerPartnerId", "declineCode"),
                  concerns="the buyer", optional=("declineCode",)),
        EventType("payments.purchase_refunded", "A purchase was refunded.",
                  _fields("purchaseId", "listingId", "leadId", "buyerPartnerId", "sellerPartnerId", "amount",
                          "platformFee", "sellerPayout", "currency", "industry", "reason"), concerns=_BOTH),
        EventType("payments.payouts_enabled", "Stripe pays out to the partner.",
                  _fields("partnerId", "accountId"), concerns="the partner"),
        EventType("sync.task_completed", "A sync task finished.",
                  _fields("taskId", "partnerId", "created", "updated", "pulled", "conflicts", "errors", "trigger")),
        EventType("sync.task_failed", "A sync task failed.", _fields("taskId", "partnerId", "reason")),
        EventType("sync.conflict_detected", "Both sides changed a field.",
                  _fields("conflictId", "partnerId", "leadId", "fields")),
        EventType("sync.conflict_resolved", "A conflict was resolved.",
                  _fields("conflictId", "partnerId", "leadId", "resolution")),
    ]


@hookimpl
def pc_register_events():
    """Declare the payments and sync events of the contract."""
    return contract_events()
