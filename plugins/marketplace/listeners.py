"""Reactions to other parts of the app: a deleted lead leaves the marketplace, an edited one is re-snapshotted."""
from __future__ import annotations

from pc_app.toolkit import SYSTEM

from . import services


def on_lead_deleted(event) -> None:
    services.delist_for_lead(event.payload["leadId"], reason="lead_deleted", actor=event.actor or SYSTEM)


def on_lead_updated(event) -> None:
    services.refresh_snapshot(event.payload["leadId"])
