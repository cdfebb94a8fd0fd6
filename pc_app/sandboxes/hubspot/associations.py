"""HubSpot's v4 associations between deals and contacts in the sandbox: default associations, single and batch.

Only the default (HubSpot-defined) deal↔contact association exists here: type 3 from a deal to a contact,
type 4 back. Associating is idempotent, as at HubSpot.
"""
from __future__ import annotations

from flask import Blueprint, jsonify

from .crm import batch_inputs, batch_response, calling_portal, live_record, validation_error
from .errors import hubspot_error
from .state import CONTACT_TO_DEAL, DEAL_TO_CONTACT, Portal, now, sandbox_state

associations_blp = Blueprint("sandbox_associations", __name__)

OBJECT_TYPES = {"deals": "deals", "deal": "deals", "0-3": "deals",
                "contacts": "contacts", "contact": "contacts", "0-1": "contacts"}


def _pair(from_type: str, to_type: str):
    """("deals", "contacts") or ("contacts", "deals"), else None."""
    pair = (OBJECT_TYPES.get(from_type), OBJECT_TYPES.get(to_type))
    return pair if pair in (("deals", "contacts"), ("contacts", "deals")) else None


def _type_id(from_kind: str) -> int:
    return DEAL_TO_CONTACT if from_kind == "deals" else CONTACT_TO_DEAL


def _live(portal: Portal, kind: str, object_id) -> bool:
    return live_record(portal.deals if kind == "deals" else portal.contacts, object_id) is not None


def _unsupported(from_type: str, to_type: str):
    return validation_error(f"The sandbox associates deals and contacts only, not {from_type} and {to_type}.")


def _associate(portal: Portal, from_kind: str, from_id: str, to_id: str) -> list[dict]:
    deal_id, contact_id = (from_id, to_id) if from_kind == "deals" else (to_id, from_id)
    portal.associate(deal_id, contact_id)
    to_kind = "contacts" if from_kind == "deals" else "deals"
    return [{"from": {"id": str(from_id)}, "to": {"id": str(to_id)},
             "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": _type_id(from_kind)}},
            {"from": {"id": str(to_id)}, "to": {"id": str(from_id)},
             "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": _type_id(to_kind)}}]


def _associated_ids(portal: Portal, from_kind: str, object_id: str) -> list[str]:
    linked = portal.contacts_of(object_id) if from_kind == "deals" else portal.deals_of(object_id)
    to_kind = "contacts" if from_kind == "deals" else "deals"
    return [i for i in linked if _live(portal, to_kind, i)]


def _associated_view(portal: Portal, from_kind: str, object_id: str) -> list[dict]:
    return [{"toObjectId": int(i), "associationTypes": [{"category": "HUBSPOT_DEFINED",
                                                         "typeId": _type_id(from_kind), "label": None}]}
            for i in _associated_ids(portal, from_kind, object_id)]


@associations_blp.put("/crm/v4/objects/<from_type>/<from_id>/associations/default/<to_type>/<to_id>")
def associate_default(from_type, from_id, to_type, to_id):
    """Associate two records with the default association type (both directions)."""
    if (pair := _pair(from_type, to_type)) is None:
        return _unsupported(from_type, to_type)
    state, portal, started = sandbox_state(), calling_portal(), now()
    with state.lock:
        for kind, object_id in zip(pair, (from_id, to_id)):
            if not _live(portal, kind, object_id):
                return hubspot_error(404, f"No {kind[:-1]} with id {object_id}.", "OBJECT_NOT_FOUND")
        results = _associate(portal, pair[0], from_id, to_id)
    return batch_response(results, [], started)


@associations_blp.get("/crm/v4/objects/<from_type>/<from_id>/associations/<to_type>")
def list_associations(from_type, from_id, to_type):
    """The records of ``to_type`` associated with one record."""
    if (pair := _pair(from_type, to_type)) is None:
        return _unsupported(from_type, to_type)
    return jsonify({"results": _associated_view(calling_portal(), pair[0], from_id)})


@associations_blp.post("/crm/v4/associations/<from_type>/<to_type>/batch/associate/default")
def batch_associate_default(from_type, to_type):
    """Associate up to 100 pairs with the default association type; a record that does not exist is a 400."""
    if (pair := _pair(from_type, to_type)) is None:
        return _unsupported(from_type, to_type)
    state, portal, started = sandbox_state(), calling_portal(), now()
    _body, inputs, error = batch_inputs()
    if error is not None:
        return error
    with state.lock:
        pairs = []
        for i, item in enumerate(inputs):
            from_id = str(((item or {}).get("from") or {}).get("id"))
            to_id = str(((item or {}).get("to") or {}).get("id"))
            if not _live(portal, pair[0], from_id) or not _live(portal, pair[1], to_id):
                return validation_error(f"inputs[{i}]: no {pair[0][:-1]} {from_id} or no {pair[1][:-1]} {to_id}.")
            pairs.append((from_id, to_id))
        results = [r for from_id, to_id in pairs for r in _associate(portal, pair[0], from_id, to_id)]
    return batch_response(results, [], started)


@associations_blp.post("/crm/v4/associations/<from_type>/<to_type>/batch/read")
def batch_read_associations(from_type, to_type):
    """The associations of up to 100 records; records with none are reported as errors (207), as HubSpot does."""
    if (pair := _pair(from_type, to_type)) is None:
        return _unsupported(from_type, to_type)
    portal, started = calling_portal(), now()
    _body, inputs, error = batch_inputs()
    if error is not None:
        return error
    results, lonely = [], []
    for item in inputs:
        object_id = str((item or {}).get("id"))
        associated = _associated_view(portal, pair[0], object_id)
        if associated:
            results.append({"from": {"id": object_id}, "to": associated})
        else:
            lonely.append(object_id)
    errors = [{"status": "error", "category": "OBJECT_NOT_FOUND", "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
               "message": f"No {pair[1][:-1]} is associated with {pair[0][:-1]} {object_id}.",
               "context": {"fromObjectId": [object_id]}, "errors": [], "links": {}} for object_id in lonely]
    return batch_response(results, errors, started)


@associations_blp.post("/crm/v4/associations/<from_type>/<to_type>/batch/archive")
def batch_archive_associations(from_type, to_type):
    """Remove associations: ``inputs: [{from: {id}, to: [{id}]}]`` (204)."""
    if (pair := _pair(from_type, to_type)) is None:
        return _unsupported(from_type, to_type)
    state, portal = sandbox_state(), calling_portal()
    _body, inputs, error = batch_inputs()
    if error is not None:
        return error
    with state.lock:
        for item in inputs:
            from_id = str(((item or {}).get("from") or {}).get("id"))
            for target in (item or {}).get("to") or []:
                to_id = str((target or {}).get("id"))
                deal_id, contact_id = (from_id, to_id) if pair[0] == "deals" else (to_id, from_id)
                linked = portal.deal_contacts.get(deal_id, [])
                if contact_id in linked:
                    linked.remove(contact_id)
    return "", 204
