"""A deal won in HubSpot takes the lead off the marketplace — when the marketplace plugin is enabled.

The sync does not require the marketplace: it asks whether the plugin is enabled and only then uses
its services (``delist_for_lead``, ``open_listing_of``). The answer decides what the sync does: a
listed lead is delisted; a reserved one is left alone and the disagreement becomes a conflict for a
person (a buyer is about to pay for it); a sold lead has left the partner already.
"""
from __future__ import annotations

from pc_app.toolkit import HUBSPOT, enabled_plugins

DELISTED, RESERVED, NOT_LISTED = "delisted", "reserved", "not_listed"


def take_won_lead_off_the_market(lead_id: str) -> str:
    """``delisted``, ``reserved`` (left alone) or ``not_listed``."""
    if "marketplace" not in enabled_plugins():
        return NOT_LISTED
    from plugins.marketplace import services as marketplace

    if marketplace.delist_for_lead(lead_id, reason="deal_won", actor=HUBSPOT) is not None:
        return DELISTED
    listing = marketplace.open_listing_of(lead_id)
    return RESERVED if listing is not None and listing.status == "reserved" else NOT_LISTED
