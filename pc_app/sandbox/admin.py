"""The sandbox's admin API (``/_sandbox``): reset, settings, faults, token expiry, inspection, user edits.

None of this exists at HubSpot; it lets tests and developers steer the stand-in.
"""
from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import time

import requests
from flask import Blueprint, current_app, jsonify, request

from .app import sandbox_state
from .crm import deal_view
from .state import Fault

admin_blp = Blueprint("sandbox_admin", __name__, url_prefix="/_sandbox")

SETTING_FIELDS = {"accessTokenTtl": ("access_token_ttl", int), "codeTtl": ("code_ttl", int),
                  "rateLimitMax": ("rate_limit_max", int), "rateLimitWindowSeconds": ("rate_limit_window", float),
                  "webhookUrl": ("webhook_url", str), "appSecret": ("app_secret", str)}


def _body() -> dict:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _bad(message: str):
    return jsonify({"message": message}), 400


@admin_blp.post("/reset")
def reset():
    """Forget every portal, grant, fault and call; settings go back to those of process start."""
    state = sandbox_state()
    with state.lock:
        state.reset()
        state.settings = copy.deepcopy(current_app.extensions["hubspot_sandbox_initial_settings"])
    return jsonify({"reset": True})


@admin_blp.get("/config")
def get_config():
    """The current settings (secrets are not shown)."""
    return jsonify(sandbox_state().settings.as_dict())


@admin_blp.patch("/config")
def change_config():
    """Change token lifetime, code lifetime, rate limit, webhook target or signing secret."""
    state = sandbox_state()
    body = _body()
    unknown = sorted(set(body) - set(SETTING_FIELDS))
    if unknown:
        return _bad(f"Unknown settings: {', '.join(unknown)}.")
    with state.lock:
        for key, value in body.items():
            attr, kind = SETTING_FIELDS[key]
            try:
                setattr(state.settings, attr, kind(value))
            except (TypeError, ValueError):
                return _bad(f"{key} must be a {kind.__name__}.")
    return jsonify(state.settings.as_dict())


@admin_blp.post("/portals")
def create_portal():
    """A new portal (``hubId`` optional); its id is what ``/oauth/authorize?portal=`` takes."""
    hub_id = _body().get("hubId")
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


@admin_blp.get("/calls")
def list_calls():
    """HubSpot calls received, oldest first; filter by ``portal``, ``route`` (prefix) or ``method``."""
    state = sandbox_state()
    calls = list(state.calls)
    if request.args.get("portal"):
        calls = [c for c in calls if str(c["portal"]) == request.args["portal"]]
    if request.args.get("route"):
        calls = [c for c in calls if c["route"].startswith(request.args["route"])]
    if request.args.get("method"):
        calls = [c for c in calls if c["method"] == request.args["method"].upper()]
    return jsonify({"calls": calls})


@admin_blp.post("/faults")
def add_fault():
    """The next ``count`` calls (matching ``path`` prefix and ``portal``) fail with ``status``
    and/or wait ``latencyMs``; without ``count`` the fault stays until cleared."""
    body = _body()
    status, latency = body.get("status"), int(body.get("latencyMs") or 0)
    if status is None and not latency:
        return _bad("Give a status, a latencyMs, or both.")
    if status is not None and not (isinstance(status, int) and 400 <= status <= 599):
        return _bad("status must be an HTTP error status (400-599).")
    fault = Fault(status=status, count=body.get("count"), path_prefix=body.get("path") or "",
                  hub_id=body.get("portal"), latency_ms=latency, retry_after=body.get("retryAfter"))
    state = sandbox_state()
    with state.lock:
        state.faults.append(fault)
    return jsonify({"faults": len(state.faults)}), 201


@admin_blp.delete("/faults")
def clear_faults():
    """Remove every injected fault."""
    state = sandbox_state()
    with state.lock:
        state.faults.clear()
    return "", 204


@admin_blp.post("/tokens/expire")
def expire_tokens():
    """Expire now one access token (``accessToken``) or all of a portal's (``portal``)."""
    body = _body()
    if not body.get("accessToken") and body.get("portal") is None:
        return _bad("Give accessToken or portal.")
    hub_id = int(body["portal"]) if body.get("portal") is not None else None
    return jsonify({"expired": sandbox_state().expire_access_tokens(body.get("accessToken"), hub_id)})


def webhook_signature(secret: str, method: str, uri: str, body: str, timestamp: str) -> str:
    """HubSpot's v3 signature: base64 HMAC-SHA256 of method + URI + body + timestamp."""
    message = f"{method}{uri}{body}{timestamp}".encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def _deliver(events: list[dict], url: str) -> dict:
    state = sandbox_state()
    body = json.dumps(events, separators=(",", ":"))
    timestamp = str(int(time.time() * 1000))
    headers = {"Content-Type": "application/json", "X-HubSpot-Request-Timestamp": timestamp,
               "X-HubSpot-Signature-Version": "v3",
               "X-HubSpot-Signature-v3": webhook_signature(state.settings.signing_secret(), "POST", url, body,
                                                           timestamp)}
    try:
        response = requests.post(url, data=body.encode(), headers=headers, timeout=10)
        delivery = {"url": url, "status": response.status_code}
    except requests.RequestException as exc:
        delivery = {"url": url, "error": type(exc).__name__}
    with state.lock:
        state.webhook_deliveries.append({**delivery, "events": events})
    return delivery


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
    body = _body()
    properties = body.get("properties")
    if not isinstance(properties, dict) or (deal_id and not properties):
        return _bad("properties must be a non-empty object.")
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


@admin_blp.get("/webhooks")
def list_webhook_deliveries():
    """Webhook deliveries attempted so far, with the answer each got."""
    return jsonify({"deliveries": list(sandbox_state().webhook_deliveries)})
