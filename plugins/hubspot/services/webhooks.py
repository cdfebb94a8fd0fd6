"""Inbound HubSpot webhooks: the v3 signature check and handing each new event to listeners once."""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time

from flask import current_app

from pc_app.toolkit import emit, get_redis

from ..models import HubSpotConnection
from .errors import HubSpotError

log = logging.getLogger("plugins.hubspot")

WEBHOOK_EVENT_KEY = "pc:hubspot:webhook-event:"
WEBHOOK_EVENT_TTL = 7 * 24 * 3600
WEBHOOK_MAX_AGE_MS = 5 * 60 * 1000


class WebhookRejected(HubSpotError):
    """The webhook's signature or timestamp does not hold (401; ``errors.signature`` is the reason)."""
    status = 401

    def __init__(self, message: str, reason: str):
        super().__init__(message, reason, errors={"signature": [reason]})


def webhook_signature(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """HubSpot's v3 signature: base64 HMAC-SHA256 over method + URI + body + timestamp."""
    message = method.encode() + uri.encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def verify_webhook(method: str, uri: str, body: bytes, timestamp: str | None, signature: str | None) -> None:
    config = current_app.config
    secret = config["HUBSPOT_APP_SECRET"] or config["HUBSPOT_CLIENT_SECRET"]
    if not secret:
        raise WebhookRejected("No HubSpot app secret is configured.", "not_configured")
    if not timestamp or not signature or not timestamp.isdigit():
        raise WebhookRejected("The HubSpot signature headers are missing.", "signature_missing")
    if abs(time.time() * 1000 - int(timestamp)) > WEBHOOK_MAX_AGE_MS:
        raise WebhookRejected("The webhook timestamp is older than 5 minutes.", "timestamp_stale")
    expected = webhook_signature(secret, method, uri, body, timestamp)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise WebhookRejected("The webhook signature does not match.", "signature_invalid")


def accept_webhook_events(events: list) -> dict:
    """Keep each event id once (Redis SET NX), then hand new events to listeners per portal."""
    redis = get_redis()
    fresh_by_portal: dict[int, list] = {}
    duplicates = 0
    for event in events:
        event_id = event.get("eventId") if isinstance(event, dict) else None
        if event_id is None:
            continue
        if not redis.set(f"{WEBHOOK_EVENT_KEY}{event_id}", "1", nx=True, ex=WEBHOOK_EVENT_TTL):
            duplicates += 1
            continue
        fresh_by_portal.setdefault(event.get("portalId"), []).append(event)
    portals = [p for p in fresh_by_portal if isinstance(p, int)]
    partners = {c.hub_id: c.partner for c in HubSpotConnection.objects(hub_id__in=portals).only("hub_id", "partner")}
    accepted = 0
    for portal_id, portal_events in fresh_by_portal.items():
        partner_id = partners.get(portal_id)
        if partner_id is None:
            log.info("hubspot webhook: %d event(s) for unconnected portal %s ignored", len(portal_events), portal_id)
            continue
        accepted += len(portal_events)
        emit("hubspot.webhook_received", partner_ids=[partner_id], actor="hubspot",
             payload={"partnerId": partner_id, "portalId": portal_id, "events": portal_events})
    return {"received": len(events), "accepted": accepted, "duplicates": duplicates}
