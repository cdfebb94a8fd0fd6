"""Inbound HubSpot webhooks: the v3 signature check and handing each new event to listeners once."""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import time

from flask import current_app

from pc_app.toolkit import HUBSPOT, count_webhook_delivery, emit, get_redis

from ..models import HubSpotConnection
from .errors import HubSpotError

log = logging.getLogger("plugins.hubspot")

WEBHOOK_EVENT_KEY = "pc:hubspot:webhook-event:"
WEBHOOK_EVENT_TTL = 7 * 24 * 3600
WEBHOOK_MAX_AGE_MS = 5 * 60 * 1000
# The headers as HubSpot writes them, ASCII only: "²" passes str.isdigit() and "١٢٣" would too.
_TIMESTAMP = re.compile(r"[0-9]{1,15}")
_SIGNATURE = re.compile(r"[A-Za-z0-9+/]{1,200}={0,2}")
# An event id we keep as a Redis key: a 64-bit integer or a short ASCII token.
_EVENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,100}")
_INT64_MAX = 2**63 - 1


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
    """Check HubSpot's v3 signature and timestamp; a refusal is counted (``webhook="hubspot", outcome="rejected"``).

    :raises WebhookRejected: no secret, missing or malformed headers, a stale or future time, a wrong signature.
    """
    try:
        _verify(method, uri, body, timestamp, signature)
    except WebhookRejected:
        count_webhook_delivery("hubspot", "rejected")
        raise


def _verify(method: str, uri: str, body: bytes, timestamp: str | None, signature: str | None) -> None:
    config = current_app.config
    secret = config["HUBSPOT_APP_SECRET"] or config["HUBSPOT_CLIENT_SECRET"]
    if not secret:
        raise WebhookRejected("No HubSpot app secret is configured.", "not_configured")
    if not timestamp or not signature:
        raise WebhookRejected("The HubSpot signature headers are missing.", "signature_missing")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise WebhookRejected("X-HubSpot-Request-Timestamp is not a time in milliseconds since 1970.",
                              "timestamp_invalid")
    if not _SIGNATURE.fullmatch(signature):
        raise WebhookRejected("X-HubSpot-Signature-v3 is not a base64 signature.", "signature_invalid")
    age_ms = time.time() * 1000 - int(timestamp)
    if age_ms > WEBHOOK_MAX_AGE_MS:
        raise WebhookRejected("The webhook timestamp is older than 5 minutes.", "timestamp_stale")
    if -age_ms > WEBHOOK_MAX_AGE_MS:
        raise WebhookRejected("The webhook timestamp is more than 5 minutes in the future.", "timestamp_future")
    expected = webhook_signature(secret, method, uri, body, timestamp)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise WebhookRejected("The webhook signature does not match.", "signature_invalid")


def _event_id(event) -> str | None:
    """The event's id as a key, or None when it has none we can keep (not an object, no id, an odd one)."""
    event_id = event.get("eventId") if isinstance(event, dict) else None
    if isinstance(event_id, int) and not isinstance(event_id, bool) and 0 <= event_id <= _INT64_MAX:
        return str(event_id)
    if isinstance(event_id, str) and _EVENT_ID.fullmatch(event_id):
        return event_id
    return None


def _portal_id(event: dict) -> int | None:
    portal = event.get("portalId")
    if isinstance(portal, int) and not isinstance(portal, bool) and 0 <= portal <= _INT64_MAX:
        return portal
    return None


def accept_webhook_events(events: list) -> dict:
    """Keep each event id once (Redis SET NX), then hand new events to listeners per portal.

    Events without an id we can keep are not handed on (they could not be de-duplicated);
    they are counted in the answer (``withoutEventId``) and logged, never dropped silently.
    """
    fresh_by_portal: dict[int | None, list] = {}
    with_id = [(event, _event_id(event)) for event in events]
    without_id = sum(1 for _event, event_id in with_id if event_id is None)
    with_id = [(event, event_id) for event, event_id in with_id if event_id is not None]
    # One round trip for the whole delivery (up to 100 events); a pipeline runs the SETs in
    # order, so an id repeated inside the delivery is a duplicate the second time, as before.
    pipe = get_redis().pipeline(transaction=False)
    for _event, event_id in with_id:
        pipe.set(f"{WEBHOOK_EVENT_KEY}{event_id}", "1", nx=True, ex=WEBHOOK_EVENT_TTL)
    kept = pipe.execute() if with_id else []
    duplicates = 0
    for (event, _id), new in zip(with_id, kept):
        if not new:
            duplicates += 1
            continue
        fresh_by_portal.setdefault(_portal_id(event), []).append(event)
    if without_id:
        log.warning("hubspot webhook: %d of %d event(s) without a usable eventId ignored", without_id, len(events))
    portals = [p for p in fresh_by_portal if p is not None]
    partners = {c.hub_id: c.partner for c in HubSpotConnection.objects(hub_id__in=portals).only("hub_id", "partner")}
    accepted = 0
    for portal_id, portal_events in fresh_by_portal.items():
        partner_id = partners.get(portal_id)
        if partner_id is None:
            log.info("hubspot webhook: %d event(s) for unconnected portal %s ignored", len(portal_events), portal_id)
            continue
        accepted += len(portal_events)
        emit("hubspot.webhook_received", partner_ids=[partner_id], actor=HUBSPOT,
             payload={"partnerId": partner_id, "portalId": portal_id, "events": portal_events})
    # One count per HubSpot event (a delivery carries up to 100), as Stripe's are counted per event.
    for outcome, count in (("accepted", accepted), ("duplicate", duplicates),
                           ("ignored", len(events) - accepted - duplicates)):
        if count:
            count_webhook_delivery("hubspot", outcome, count)
    return {"received": len(events), "accepted": accepted, "duplicates": duplicates, "withoutEventId": without_id}
