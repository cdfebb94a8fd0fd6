"""HubSpot's CRM v3 properties in the sandbox: a portal's custom deal and contact properties.

HubSpot refuses a write that names a property the portal does not have; an app that stores its own
marker on deals creates the property first. Standard properties are listed but cannot be changed.
"""
from __future__ import annotations

from flask import Blueprint, jsonify

from .crm import calling_portal, json_body, validation_error
from .errors import hubspot_error
from .state import STANDARD_CONTACT_PROPERTIES, STANDARD_DEAL_PROPERTIES, iso, now, sandbox_state

properties_blp = Blueprint("sandbox_properties", __name__)

OBJECT_TYPES = {"deals": "deals", "deal": "deals", "0-3": "deals",
                "contacts": "contacts", "contact": "contacts", "0-1": "contacts"}
TYPES = ("string", "number", "date", "datetime", "enumeration", "bool")
FIELD_TYPES = ("textarea", "text", "date", "file", "number", "select", "radio", "checkbox", "booleancheckbox",
               "calculation_equation")


def _standard(kind: str, name: str) -> dict:
    return {"name": name, "label": name, "type": "string", "fieldType": "text",
            "groupName": "dealinformation" if kind == "deals" else "contactinformation", "description": "",
            "options": [], "hubspotDefined": True, "createdAt": None, "updatedAt": None, "archived": False}


def _kind(object_type: str):
    kind = OBJECT_TYPES.get(object_type)
    if kind is None:
        return None, validation_error(f"Unable to infer object type from: {object_type}")
    return kind, None


@properties_blp.get("/crm/v3/properties/<object_type>")
def list_properties(object_type):
    """The standard and custom properties of deals or contacts."""
    kind, error = _kind(object_type)
    if error is not None:
        return error
    standard = STANDARD_DEAL_PROPERTIES if kind == "deals" else STANDARD_CONTACT_PROPERTIES
    custom = list(calling_portal().custom_properties.get(kind, {}).values())
    return jsonify({"results": [_standard(kind, name) for name in sorted(standard)] + custom})


@properties_blp.get("/crm/v3/properties/<object_type>/<name>")
def get_property(object_type, name):
    """One property by name (404 when the portal has none by that name)."""
    kind, error = _kind(object_type)
    if error is not None:
        return error
    standard = STANDARD_DEAL_PROPERTIES if kind == "deals" else STANDARD_CONTACT_PROPERTIES
    if name in standard:
        return jsonify(_standard(kind, name))
    found = calling_portal().custom_properties.get(kind, {}).get(name)
    if found is None:
        return hubspot_error(404, f"Unable to find property {name} for object type {kind}.", "OBJECT_NOT_FOUND")
    return jsonify(found)


@properties_blp.post("/crm/v3/properties/<object_type>")
def create_property(object_type):
    """Create a custom property (201); a name already taken is a 409."""
    kind, error = _kind(object_type)
    if error is not None:
        return error
    body = json_body()
    missing = [k for k in ("name", "label", "type", "fieldType", "groupName") if not body.get(k)]
    if missing:
        return validation_error(f"Missing {', '.join(missing)}.")
    if body["type"] not in TYPES or body["fieldType"] not in FIELD_TYPES:
        return validation_error("Unknown type or fieldType.")
    state, portal = sandbox_state(), calling_portal()
    with state.lock:
        name = str(body["name"])
        if name in portal.known_properties(kind):
            return hubspot_error(409, f"Property named '{name}' already exists.", "OBJECT_ALREADY_EXISTS")
        ts = iso(now())
        created = {"name": name, "label": str(body["label"]), "type": body["type"], "fieldType": body["fieldType"],
                   "groupName": str(body["groupName"]), "description": str(body.get("description") or ""),
                   "options": list(body.get("options") or []), "hasUniqueValue": bool(body.get("hasUniqueValue")),
                   "hubspotDefined": False, "createdAt": ts, "updatedAt": ts, "archived": False}
        portal.custom_properties.setdefault(kind, {})[name] = created
    return jsonify(created), 201
