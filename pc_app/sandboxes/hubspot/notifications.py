"""HubSpot's v3-signed webhooks from the sandbox: deal creations, property changes and deletions.

A "user" editing through the admin API always notifies; changes made through the API notify only when
``apiChangeWebhooks`` is on (HubSpot notifies them too, the echo of an app's own writes included).
HubSpot sends at most 100 events per request; so does the sandbox. With ``webhookDelivery: record`` the
deliveries are signed and kept for a test to replay into an app running in-process.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from .state import sandbox_state

EVENTS_PER_DELIVERY = 100
USER_SOURCE = "CRM_UI"
API_SOURCE = "INTEGRATION"


def webhook_signature(secret: str, method: str, uri: str, body: str, timestamp: str) -> str:
    """HubSpot's v3 signature: base64 HMAC-SHA256 of method + URI + body + timestamp."""
    message = f"{method}{uri}{body}{timestamp}".encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def deal_events(hub_id: int, deal_id: str, subscription: str, changes: dict | None = None,
                source: str = USER_SOURCE) -> list[dict]:
    """The events HubSpot sends for one deal: one per changed property, or one creation/deletion."""
    state = sandbox_state()
    base = {"subscriptionId": 5001, "portalId": hub_id, "appId": state.settings.app_id,
            "occurredAt": int(time.time() * 1000), "attemptNumber": 0, "objectId": int(deal_id),
            "changeSource": source}
    if subscription in ("deal.creation", "deal.deletion"):
        return [{"eventId": state.next_event_id(), "subscriptionType": subscription, **base}]
    return [{"eventId": state.next_event_id(), "subscriptionType": "deal.propertyChange", **base,
             "propertyName": name, "propertyValue": "" if value is None else str(value)}
            for name, value in (changes or {}).items()]


def deliver(events: list[dict], url: str | None = None, *, inline: bool = False) -> dict | None:
    """Send (or record) the events to ``url`` or the configured URL, 100 per signed request.

    ``inline`` makes the first attempt now and returns its outcome (the admin API's answer);
    otherwise the kit's sender thread delivers. None when there is nowhere to send.
    """
    state = sandbox_state()
    url = url or state.settings.webhook_url
    if not url or not events:
        return None
    mode = "record" if state.settings.webhook_delivery == "record" else "send"
    first = None
    for start in range(0, len(events), EVENTS_PER_DELIVERY):
        chunk = events[start:start + EVENTS_PER_DELIVERY]
        delivery = state.webhooks.send(url, json.dumps(chunk, separators=(",", ":")).encode(), _signer(url),
                                       meta={"events": chunk}, mode=mode, inline=inline and mode == "send")
        first = first or delivery
    if mode == "record":
        return {"url": url, "recorded": True}
    if not inline:
        return {"url": url, "queued": True}
    attempt = first.attempts[0]
    return {"url": url, "status": attempt["status"]} if "status" in attempt else {"url": url,
                                                                                "error": attempt["error"]}


def _signer(url: str):
    state = sandbox_state()
    secret = state.settings.signing_secret()

    def sign(body: bytes) -> dict:
        timestamp = str(int(time.time() * 1000))
        return {"Content-Type": "application/json", "X-HubSpot-Request-Timestamp": timestamp,
                "X-HubSpot-Signature-Version": "v3",
                "X-HubSpot-Signature-v3": webhook_signature(secret, "POST", url, body.decode(), timestamp)}
    return sign
