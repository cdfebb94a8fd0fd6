"""HubSpot's CRM v3 contacts in the sandbox: create, read (by id or e-mail), update, archive, batch, search.

E-mail is unique per portal, as in HubSpot: creating a contact whose e-mail exists is a 409 naming the
existing id, and a batch create with one such input creates nothing.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from .crm import (batch_inputs, batch_response, calling_portal, json_body, live_record, missing_ids_error,
                  object_not_found, record_view, requested_properties, unknown_properties_error,
                  validation_error)
from .errors import hubspot_error
from .search import search
from .state import CONTACT_ALWAYS_RETURNED, DEFAULT_CONTACT_PROPERTIES, Portal, now, sandbox_state

contacts_blp = Blueprint("sandbox_contacts", __name__)


def contact_view(contact: dict, properties: list[str] | None = None) -> dict:
    """A contact as HubSpot returns it: the named properties (or the defaults) plus the system ones."""
    return record_view(contact, properties, DEFAULT_CONTACT_PROPERTIES, CONTACT_ALWAYS_RETURNED)


def _full_view(contact: dict) -> dict:
    return contact_view(contact, list(contact["properties"]))


def _exists_error(existing: dict):
    return hubspot_error(409, f"Contact already exists. Existing ID: {existing['id']}", "CONFLICT")


def find_contact(portal: Portal, key: str, id_property: str | None) -> dict | None:
    """A live contact by id, or by e-mail when ``idProperty`` is ``email``."""
    if id_property == "email":
        return portal.contact_by_email(key)
    return live_record(portal.contacts, key)


def _write_problem(portal: Portal, properties, current: dict | None = None):
    if not isinstance(properties, dict):
        return validation_error("properties must be an object.")
    if (error := unknown_properties_error(portal, "contacts", properties)) is not None:
        return error
    email = properties.get("email")
    if email is not None:
        existing = portal.contact_by_email(str(email))
        if existing is not None and existing is not current:
            return _exists_error(existing)
    return None


@contacts_blp.post("/crm/v3/objects/contacts")
def create_contact():
    """Create one contact (201); an e-mail already in the portal is a 409."""
    state, portal = sandbox_state(), calling_portal()
    properties = json_body().get("properties")
    with state.lock:
        if (problem := _write_problem(portal, properties)) is not None:
            return problem
        contact = state.new_contact(portal, properties)
    return jsonify(_full_view(contact)), 201


@contacts_blp.get("/crm/v3/objects/contacts/<contact_id>")
def get_contact(contact_id):
    """Read one contact by id (or by e-mail with ``idProperty=email``)."""
    contact = find_contact(calling_portal(), contact_id, request.args.get("idProperty"))
    if contact is None:
        return object_not_found(contact_id)
    return jsonify(contact_view(contact, requested_properties(request.args.get("properties"))))


@contacts_blp.patch("/crm/v3/objects/contacts/<contact_id>")
def update_contact(contact_id):
    """Change some properties of a contact."""
    state, portal = sandbox_state(), calling_portal()
    properties = json_body().get("properties")
    with state.lock:
        contact = find_contact(portal, contact_id, request.args.get("idProperty"))
        if contact is None:
            return object_not_found(contact_id)
        if (problem := _write_problem(portal, properties, contact)) is not None:
            return problem
        state.touch_contact(contact, properties)
        portal.contacts_changed()
    return jsonify(_full_view(contact))


@contacts_blp.delete("/crm/v3/objects/contacts/<contact_id>")
def archive_contact(contact_id):
    """Archive a contact (204 even when already gone)."""
    state, portal = sandbox_state(), calling_portal()
    with state.lock:
        contact = find_contact(portal, contact_id, None)
        if contact is not None:
            contact["archived"] = True
            state.touch_contact(contact, {})
            portal.contacts_changed()
    return "", 204


@contacts_blp.post("/crm/v3/objects/contacts/batch/create")
def batch_create_contacts():
    """Create up to 100 contacts (201); one e-mail that exists (or repeats) refuses the whole batch."""
    state, portal, started = sandbox_state(), calling_portal(), now()
    _body, inputs, error = batch_inputs()
    if error is not None:
        return error
    with state.lock:
        emails = set()
        for i, item in enumerate(inputs):
            properties = (item or {}).get("properties")
            if (problem := _write_problem(portal, properties)) is not None:
                return problem
            email = str(properties.get("email") or "").lower()
            if email and email in emails:
                return validation_error(f"inputs[{i}]: duplicate e-mail {email} in the batch.")
            emails.add(email)
        contacts = [state.new_contact(portal, item["properties"]) for item in inputs]
    return batch_response([_full_view(c) for c in contacts], [], started, 201)


@contacts_blp.post("/crm/v3/objects/contacts/batch/read")
def batch_read_contacts():
    """Read up to 100 contacts by id or by ``idProperty`` (``email``); unknown keys are reported with a 207."""
    portal, started = calling_portal(), now()
    body, inputs, error = batch_inputs()
    if error is not None:
        return error
    id_property = body.get("idProperty")
    if id_property not in (None, "", "hs_object_id", "email"):
        return validation_error(f"{id_property} is not a unique property of contacts.")
    properties = requested_properties(body.get("properties") or None)
    results, missing = [], []
    for item in inputs:
        key = str((item or {}).get("id"))
        contact = find_contact(portal, key, id_property)
        if contact is None:
            missing.append(key)
        else:
            results.append(contact_view(contact, properties))
    return batch_response(results, [missing_ids_error(missing, "CONTACT")] if missing else [], started)


@contacts_blp.post("/crm/v3/objects/contacts/batch/update")
def batch_update_contacts():
    """Update up to 100 contacts by id; unknown ids are reported with a 207."""
    state, portal, started = sandbox_state(), calling_portal(), now()
    _body, inputs, error = batch_inputs()
    if error is not None:
        return error
    results, missing = [], []
    with state.lock:
        for item in inputs:
            contact = find_contact(portal, str((item or {}).get("id")), None)
            if contact is not None and (problem := _write_problem(portal, item.get("properties"), contact)):
                return problem
        for item in inputs:
            contact = find_contact(portal, str((item or {}).get("id")), None)
            if contact is None:
                missing.append(str((item or {}).get("id")))
                continue
            state.touch_contact(contact, item["properties"])
            results.append(_full_view(contact))
        portal.contacts_changed()
    return batch_response(results, [missing_ids_error(missing, "CONTACT")] if missing else [], started)


@contacts_blp.post("/crm/v3/objects/contacts/search")
def search_contacts():
    """Filter groups (e.g. ``email EQ``), one sort, ``limit`` (at most 200), ``after`` paging, the result cap."""
    live = [c for c in calling_portal().contacts.values() if not c["archived"]]
    return search(live, json_body(), lambda contact, names: contact_view(contact, requested_properties(names)))
