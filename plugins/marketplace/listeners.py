"""Reactions to other parts of the app: a deleted lead leaves the marketplace, an edited one is re-snapshotted,
a suspended seller's listings are delisted."""
from __future__ import annotations

from pc_app.toolkit import SYSTEM

from . import services


def on_lead_deleted(event) -> None:
    services.delist_for_lead(event.payload["leadId"], reason="lead_deleted", actor=event.actor or SYSTEM)


def on_lead_updated(event) -> None:
    services.refresh_snapshot(event.payload["leadId"])


def on_partner_suspended(event) -> None:
    """Delist the suspended seller's listed leads (durable: a retry after a reinstatement delists nothing)."""
    seller_id = event.payload["partnerId"]
    if services.seller_suspended(seller_id):
        services.delist_seller(seller_id, reason=services.SELLER_SUSPENDED, actor=event.actor or SYSTEM)
