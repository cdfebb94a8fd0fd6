"""The HubSpot sandbox's own admin routes (``/_sandbox``): portals, token expiry, a HubSpot user's edits.

Reset, settings, faults, the call log and webhook deliveries are the kit's routes.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from flask import Blueprint, jsonify

from ..kit.admin import ADMIN_PREFIX, admin_body, admin_refusal
from .state import sandbox_state
from .crm import deal_view

admin_blp = Blueprint("hubspot_sandbox_admin", __name__, url_prefix=ADMIN_PREFIX)


@admin_blp.post("/portals")
def create_portal():
    """A new portal (``hubId`` optional); its id is what ``/oauth/authorize?portal=`` takes."""
    hub_id = admin_body().get("hubId")
    portal = sandbox_state().portal(int(hub_id) if hub_id is not None else None)
    return jsonify({"hubId": portal.hub_id}), 201


@admin_blp.get("/portals/<int:hub_id>")
def inspect_portal(hub_id):
    """A portal's pipelines, deals (archived too) and how many of its tokens are live."""
    state = sandbox_state()
    with state.lock:
        if hub_id not in state.portals:
            return jsonify({"message": "No such portal."}), 404
        portal = state.portals[hub_id]
        now = time.time()
        refresh = [r for r in state.refresh_tokens.values() if r.hub_id == hub_id]
        return jsonify({
            "hubId": hub_id,
            "pipelines": list(portal.pipelines.values()),
            "deals": [deal_view(d, list(d["properties"])) for d in portal.deals.values()],
            "accessTokens": {"live": sum(1 for a in state.access_tokens.values()
                                         if a.hub_id == hub_id and a.expires_at > now)},
            "refreshTokens": {"active": sum(1 for r in refresh if r.active),
                              "revoked": sum(1 for r in refresh if r.revoked),
                              "rotated": sum(1 for r in refresh if not r.active and not r.revoked)},
        })


@admin_blp.post("/tokens/expire")
def expire_tokens():
    """Expire now one access token (``accessToken``) or all of a portal's (``portal``)."""
    body = admin_body()
    if not body.get("accessToken") and body.get("portal") is None:
        return admin_refusal("Give accessToken or portal.")
    hub_id = int(body["portal"]) if body.get("portal") is not None else None
    return jsonify({"expired": sandbox_state().expire_access_tokens(body.get("accessToken"), hub_id)})


def webhook_signature(secret: str, method: str, uri: str, body: str, timestamp: str) -> str:
    """HubSpot's v3 signature: base64 HMAC-SHA256 of method + URI + body + timestamp."""
    message = f"{method}{uri}{body}{timestamp}".encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def _deliver(events: list[dict], url: str) -> dict:
    """Send the events as HubSpot does (one signed POST); the first attempt is made now, retries later."""
    state = sandbox_state()

    def sign(body: bytes) -> dict:
        timestamp = str(int(time.time() * 1000))
        return {"Content-Type": "application/json", "X-HubSpot-Request-Timestamp": timestamp,
                "X-HubSpot-Signature-Version": "v3",
                "X-HubSpot-Signature-v3": webhook_signature(state.settings.signing_secret(), "POST", url,
                                                            body.decode(), timestamp)}

    delivery = state.webhooks.send(url, json.dumps(events, separators=(",", ":")).encode(), sign,
                                   meta={"events": events}, inline=True)
    first = delivery.attempts[0]
    return {"url": url, "status": first["status"]} if "status" in first else {"url": url, "error": first["error"]}


def _events_for(hub_id: int, deal_id: str, changes: dict, subscription: str) -> list[dict]:
    state = sandbox_state()
    occurred = int(time.time() * 1000)
    base = {"subscriptionId": 5001, "portalId": hub_id, "appId": state.settings.app_id, "occurredAt": occurred,
            "attemptNumber": 0, "objectId": int(deal_id), "changeSource": "CRM_UI"}
    if subscription == "deal.creation":
        return [{"eventId": state.next_event_id(), "subscriptionType": "deal.creation", **base}]
    return [{"eventId": state.next_event_id(), "subscriptionType": "deal.propertyChange", **base,
             "propertyName": name, "propertyValue": "" if value is None else str(value)}
            for name, value in changes.items()]


def _user_edit(hub_id: int, deal_id: str | None):
    state = sandbox_state()
    body = admin_body()
    properties = body.get("properties")
    if not isinstance(properties, dict) or (deal_id and not properties):
        return admin_refusal("properties must be a non-empty object.")
    with state.lock:
        portal = state.portal(hub_id)
        if deal_id is None:
            deal = state.new_deal(portal, properties)
            events = _events_for(hub_id, deal["id"], properties, "deal.creation")
        else:
            deal = portal.deals.get(deal_id)
            if deal is None or deal["archived"]:
                return jsonify({"message": "No such deal."}), 404
            state.touch_deal(deal, properties)
            events = _events_for(hub_id, deal_id, properties, "deal.propertyChange")
    url = body.get("webhookUrl") or state.settings.webhook_url
    delivery = _deliver(events, url) if url and body.get("deliver", True) else None
    return jsonify({"deal": deal_view(deal, list(deal["properties"])), "events": events, "delivery": delivery})


@admin_blp.post("/portals/<int:hub_id>/deals")
def user_creates_deal(hub_id):
    """A HubSpot user creates a deal; a ``deal.creation`` webhook goes to the configured URL."""
    return _user_edit(hub_id, None)


@admin_blp.post("/portals/<int:hub_id>/deals/<deal_id>/user-change")
def user_changes_deal(hub_id, deal_id):
    """A HubSpot user edits a deal; one ``deal.propertyChange`` event per property is delivered, signed."""
    return _user_edit(hub_id, deal_id)
