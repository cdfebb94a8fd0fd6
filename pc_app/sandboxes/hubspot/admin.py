"""The HubSpot sandbox's own admin routes (``/_sandbox``): portals, token expiry, a HubSpot user's edits.

A "user" creates, changes and deletes deals here, one at a time or in bulk; each edit is delivered as
HubSpot's signed v3 webhook (``deal.creation``, ``deal.propertyChange``, ``deal.deletion``) unless the
caller says ``deliver: false``. Bulk seeding (``/deals/bulk``) notifies nobody: it stands for data that
was in the portal before. Reset, settings, faults, the call log and webhook deliveries are the kit's routes.
"""
from __future__ import annotations

import time

from flask import Blueprint, jsonify

from ..kit.admin import ADMIN_PREFIX, admin_body, admin_refusal
from .contacts import contact_view
from .crm import deal_view
from .notifications import deal_events, deliver
from .state import Portal, sandbox_state

admin_blp = Blueprint("hubspot_sandbox_admin", __name__, url_prefix=ADMIN_PREFIX)

BULK_LIMIT = 50000


@admin_blp.post("/portals")
def create_portal():
    """A new portal (``hubId`` optional); its id is what ``/oauth/authorize?portal=`` takes."""
    hub_id = admin_body().get("hubId")
    portal = sandbox_state().portal(int(hub_id) if hub_id is not None else None)
    return jsonify({"hubId": portal.hub_id}), 201


@admin_blp.get("/portals/<int:hub_id>")
def inspect_portal(hub_id):
    """A portal's pipelines, deals and contacts (archived too), associations and how many tokens are live."""
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
            "contacts": [contact_view(c, list(c["properties"])) for c in portal.contacts.values()],
            "dealContacts": {deal_id: list(contacts) for deal_id, contacts in portal.deal_contacts.items() if contacts},
            "customProperties": {kind: sorted(names) for kind, names in portal.custom_properties.items()},
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


def _attach_contact(portal: Portal, deal: dict, contact: dict | None) -> None:
    """The deal's person: found by e-mail or created, then associated (as a user does in the deal's sidebar)."""
    if not contact:
        return
    state = sandbox_state()
    found = portal.contact_by_email(str(contact.get("email") or "")) if contact.get("email") else None
    found = found or state.new_contact(portal, {k: v for k, v in contact.items() if v is not None})
    portal.associate(deal["id"], found["id"])


def _answer(deal: dict, events: list[dict], body: dict):
    delivery = deliver(events, body.get("webhookUrl"), inline=True) if body.get("deliver", True) else None
    return jsonify({"deal": deal_view(deal, list(deal["properties"])), "events": events, "delivery": delivery})


@admin_blp.post("/portals/<int:hub_id>/deals")
def user_creates_deal(hub_id):
    """A HubSpot user creates a deal (with its ``contact``, optional); a ``deal.creation`` webhook follows."""
    state, body = sandbox_state(), admin_body()
    properties = body.get("properties")
    if not isinstance(properties, dict):
        return admin_refusal("properties must be an object.")
    with state.lock:
        portal = state.portal(hub_id)
        deal = state.new_deal(portal, properties)
        _attach_contact(portal, deal, body.get("contact"))
        events = deal_events(hub_id, deal["id"], "deal.creation")
    return _answer(deal, events, body)


@admin_blp.post("/portals/<int:hub_id>/deals/<deal_id>/user-change")
def user_changes_deal(hub_id, deal_id):
    """A HubSpot user edits a deal; one ``deal.propertyChange`` event per property is delivered, signed."""
    state, body = sandbox_state(), admin_body()
    properties = body.get("properties")
    if not isinstance(properties, dict) or not properties:
        return admin_refusal("properties must be a non-empty object.")
    with state.lock:
        deal = state.portal(hub_id).deals.get(deal_id)
        if deal is None or deal["archived"]:
            return jsonify({"message": "No such deal."}), 404
        state.touch_deal(deal, properties)
        events = deal_events(hub_id, deal_id, "deal.propertyChange", properties)
    return _answer(deal, events, body)


@admin_blp.post("/portals/<int:hub_id>/deals/<deal_id>/user-delete")
def user_deletes_deal(hub_id, deal_id):
    """A HubSpot user deletes (archives) a deal; a ``deal.deletion`` webhook follows."""
    state, body = sandbox_state(), admin_body()
    with state.lock:
        deal = state.portal(hub_id).deals.get(deal_id)
        if deal is None or deal["archived"]:
            return jsonify({"message": "No such deal."}), 404
        deal["archived"] = True
        state.touch_deal(deal, {})
        events = deal_events(hub_id, deal_id, "deal.deletion")
    return _answer(deal, events, body)


@admin_blp.post("/portals/<int:hub_id>/deals/user-changes")
def user_changes_deals(hub_id):
    """Many users' edits at once: ``changes: [{id, properties}]``; webhooks unless ``deliver: false``."""
    state, body = sandbox_state(), admin_body()
    changes = body.get("changes")
    if not isinstance(changes, list) or not 0 < len(changes) <= BULK_LIMIT:
        return admin_refusal(f"changes must be a list of 1 to {BULK_LIMIT} {{id, properties}}.")
    events: list[dict] = []
    with state.lock:
        portal = state.portal(hub_id)
        for i, change in enumerate(changes):
            deal = portal.deals.get(str((change or {}).get("id")))
            properties = (change or {}).get("properties")
            if deal is None or deal["archived"] or not isinstance(properties, dict) or not properties:
                return admin_refusal(f"changes[{i}] names no live deal or no properties.")
        for change in changes:
            deal = portal.deals[str(change["id"])]
            state.touch_deal(deal, change["properties"])
            if body.get("deliver", True):
                events += deal_events(hub_id, deal["id"], "deal.propertyChange", change["properties"])
    delivery = deliver(events, body.get("webhookUrl")) if events else None
    return jsonify({"changed": len(changes), "events": len(events), "delivery": delivery})


@admin_blp.post("/portals/<int:hub_id>/deals/bulk")
def seed_deals(hub_id):
    """Data already in the portal: ``deals: [{properties, contact?}]`` created at once, nobody notified."""
    state, body = sandbox_state(), admin_body()
    deals = body.get("deals")
    if not isinstance(deals, list) or not 0 < len(deals) <= BULK_LIMIT:
        return admin_refusal(f"deals must be a list of 1 to {BULK_LIMIT} {{properties, contact?}}.")
    if not all(isinstance(item, dict) and isinstance(item.get("properties"), dict) for item in deals):
        return admin_refusal("every deal needs a properties object.")
    with state.lock:
        portal = state.portal(hub_id)
        ids = []
        for item in deals:
            deal = state.new_deal(portal, item["properties"])
            _attach_contact(portal, deal, item.get("contact"))
            ids.append(deal["id"])
    return jsonify({"ids": ids}), 201
