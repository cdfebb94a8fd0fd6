"""Reactions to other parts of the app: a deleted lead leaves the marketplace, an edited one is re-snapshotted."""
from __future__ import annotations

from . import services


def on_event(event) -> None:
    lead_id = event.payload.get("leadId")
    if event.name == "core.lead_deleted" and lead_id:
        services.delist_for_lead(lead_id, reason="lead_deleted", actor=event.actor or "system")
    elif event.name == "core.lead_updated" and lead_id:
        services.refresh_snapshot(lead_id)
