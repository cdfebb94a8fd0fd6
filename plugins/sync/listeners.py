"""Reactions to the HubSpot plugin's events: webhooks queue a targeted pull, a new connection a first sync."""
from __future__ import annotations

import logging

from plugins.hubspot import services as hubspot_services
from pc_app.toolkit import HUBSPOT, SYSTEM

from . import jobs, services

log = logging.getLogger("plugins.sync")

DEAL_SUBSCRIPTIONS = ("deal.propertyChange", "deal.creation", "deal.deletion")


def on_webhook_received(event) -> None:
    """Remember the deals HubSpot named and start (or join) a task that pulls just those."""
    partner_id = event.payload.get("partnerId")
    deal_ids = [e.get("objectId") for e in event.payload.get("events") or []
                if isinstance(e, dict) and e.get("subscriptionType") in DEAL_SUBSCRIPTIONS]
    if not partner_id or not deal_ids:
        return
    services.add_pending_deals(partner_id, deal_ids)
    try:
        jobs.start_sync(partner_id, "webhook", HUBSPOT)
    except hubspot_services.HubSpotError as refused:
        log.info("webhook for partner %s not synced: %s", partner_id, refused.reason)


def on_connected(event) -> None:
    """Right after a partner connects HubSpot, its leads and deals are brought in step."""
    partner_id = event.payload.get("partnerId")
    try:
        jobs.start_sync(partner_id, "connected", event.actor or SYSTEM)
    except hubspot_services.HubSpotError as refused:
        log.info("no first sync for partner %s: %s", partner_id, refused.reason)
