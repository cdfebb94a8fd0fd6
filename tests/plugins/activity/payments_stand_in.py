"""A throwaway plugin for the activity tests: declares payments events exactly as the lead's event contract does.

The payments plugin is written in parallel; this stand-in lets the tests follow a reservation
and a purchase through the activity plugin with the contract's names, partners and payloads.
It contributes no activity types, so the activity plugin's defaults (owners only for money) apply.
"""
from pc_app import hookimpl

NAME = "payments_stand_in"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1,<2"}

RESERVED = ("reservationId", "listingId", "leadId", "buyerPartnerId", "sellerPartnerId", "price", "currency",
            "expiresAt", "industry")
PURCHASED = ("purchaseId", "reservationId", "listingId", "leadId", "buyerLeadId", "buyerPartnerId", "sellerPartnerId",
             "amount", "platformFee", "sellerPayout", "currency", "industry", "listedAt", "reservedAt")


@hookimpl
def pc_register_events():
    """Declare two payments events of the contract."""
    from pc_app.toolkit import EventType

    return [EventType("payments.lead_reserved", "A buyer reserved a listed lead.", {f: f for f in RESERVED},
                      concerns="buyer and seller"),
            EventType("payments.purchase_succeeded", "A buyer paid for a reserved lead.", {f: f for f in PURCHASED},
                      concerns="buyer and seller")]
