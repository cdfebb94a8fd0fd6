"""HubSpot's CRM v3 endpoints for deal pipelines and deals (single, batch, search) in the sandbox."""
from __future__ import annotations

import json

from flask import Blueprint, g, jsonify, request

from .errors import hubspot_error
from .notifications import API_SOURCE, deal_events, deliver
from .search import search
from .state import ALWAYS_RETURNED, DEFAULT_DEAL_PROPERTIES, Portal, iso, now, sandbox_state

crm_blp = Blueprint("sandbox_crm", __name__)

BATCH_LIMIT = 100
DEAL_OBJECT_TYPES = ("deals", "deal", "0-3")


def calling_portal() -> Portal:
    return sandbox_state().portal(g.hub_id)


def json_body() -> dict:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def validation_error(message: str, **extra):
    return hubspot_error(400, message, "VALIDATION_ERROR", **extra)


def unknown_properties_error(portal: Portal, object_type: str, properties: dict):
    """HubSpot refuses a write naming a property the portal does not have (create it first)."""
    unknown = sorted(set(properties) - portal.known_properties(object_type))
    if not unknown:
        return None
    details = [{"isValid": False, "message": f'Property "{name}" does not exist', "error": "PROPERTY_DOESNT_EXIST",
                "name": name} for name in unknown]
    return validation_error(f"Property values were not valid: {json.dumps(details)}")


def _api_change(hub_id: int, deal_id: str, subscription: str, changes: dict | None = None) -> list[dict]:
    """The webhook events of a change made through the API (sent only when ``apiChangeWebhooks`` is on)."""
    if not sandbox_state().settings.api_change_webhooks:
        return []
    return deal_events(hub_id, deal_id, subscription, changes, source=API_SOURCE)


def object_not_found(object_id: str):
    """HubSpot's 404 for a CRM record (deal or contact) it does not have."""
    return hubspot_error(404, "Object not found.  objectId are usually numeric.", "OBJECT_NOT_FOUND",
                         context={"id": [object_id]})


# --- pipelines ---------------------------------------------------------------------------------

def _check_object_type(object_type: str):
    if object_type not in DEAL_OBJECT_TYPES:
        return validation_error(f"Unable to infer object type from: {object_type}")
    return None


def _stage_problems(stages) -> str | None:
    if not isinstance(stages, list) or not stages:
        return "A pipeline needs at least one stage."
    labels = set()
    for stage in stages:
        if not isinstance(stage, dict) or not stage.get("label"):
            return "Every stage needs a label."
        if "probability" not in (stage.get("metadata") or {}):
            return f"Stage '{stage['label']}' is missing metadata.probability, which deal stages require."
        if stage["label"].lower() in labels:
            return f"Stage labels must be unique; '{stage['label']}' is repeated."
        labels.add(stage["label"].lower())
    return None


@crm_blp.get("/crm/v3/pipelines/<object_type>")
def list_pipelines(object_type):
    """Every pipeline of the portal that is not archived."""
    if (error := _check_object_type(object_type)) is not None:
        return error
    pipelines = [p for p in calling_portal().pipelines.values() if not p["archived"]]
    return jsonify({"results": pipelines})


@crm_blp.post("/crm/v3/pipelines/<object_type>")
def create_pipeline(object_type):
    """Create a pipeline with its stages; labels are unique per portal."""
    if (error := _check_object_type(object_type)) is not None:
        return error
    body, state, portal = json_body(), sandbox_state(), calling_portal()
    label = (body.get("label") or "").strip()
    if not label:
        return validation_error("A pipeline needs a label.")
    if (problem := _stage_problems(body.get("stages"))) is not None:
        return validation_error(problem)
    with state.lock:
        if any(p["label"].lower() == label.lower() and not p["archived"] for p in portal.pipelines.values()):
            return validation_error(f"A pipeline with label '{label}' already exists.")
        ts = now()
        stages = [state.make_stage(state.next_id(), s["label"], s.get("displayOrder", i), s.get("metadata") or {}, ts)
                  for i, s in enumerate(body["stages"])]
        pipeline = {"id": state.next_id(), "label": label, "displayOrder": body.get("displayOrder", len(portal.pipelines)),
                    "stages": stages, "createdAt": iso(ts), "updatedAt": iso(ts), "archived": False}
        portal.pipelines[pipeline["id"]] = pipeline
    return jsonify(pipeline), 201


def _find_pipeline(pipeline_id: str):
    pipeline = calling_portal().pipelines.get(pipeline_id)
    if pipeline is None or pipeline["archived"]:
        return None
    return pipeline


@crm_blp.get("/crm/v3/pipelines/<object_type>/<pipeline_id>")
def get_pipeline(object_type, pipeline_id):
    """One pipeline with its stages."""
    if (error := _check_object_type(object_type)) is not None:
        return error
    pipeline = _find_pipeline(pipeline_id)
    if pipeline is None:
        return hubspot_error(404, f"Unable to find pipeline id: {pipeline_id}", "OBJECT_NOT_FOUND")
    return jsonify(pipeline)


@crm_blp.patch("/crm/v3/pipelines/<object_type>/<pipeline_id>")
def update_pipeline(object_type, pipeline_id):
    """Change a pipeline's label, display order or archived flag."""
    if (error := _check_object_type(object_type)) is not None:
        return error
    pipeline = _find_pipeline(pipeline_id)
    if pipeline is None:
        return hubspot_error(404, f"Unable to find pipeline id: {pipeline_id}", "OBJECT_NOT_FOUND")
    body = json_body()
    for key in ("label", "displayOrder", "archived"):
        if key in body:
            pipeline[key] = body[key]
    pipeline["updatedAt"] = iso(now())
    return jsonify(pipeline)


# --- deals -------------------------------------------------------------------------------------

def requested_properties(names) -> list[str] | None:
    if names is None:
        return None
    if isinstance(names, str):
        names = names.split(",")
    return [n.strip() for n in names if n and n.strip()]


def record_view(record: dict, properties: list[str] | None, defaults: tuple, always: tuple) -> dict:
    """A CRM record as HubSpot returns it: the named properties (or the kind's defaults) plus the
    ones it always returns."""
    wanted = defaults if properties is None else tuple(properties) + always
    view = {"id": record["id"], "properties": {name: record["properties"].get(name) for name in wanted},
            "createdAt": record["createdAt"], "updatedAt": record["updatedAt"], "archived": record["archived"]}
    if record["archived"]:
        view["archivedAt"] = record["updatedAt"]
    return view


def live_record(store: dict, object_id) -> dict | None:
    """The record of a portal's store (deals, contacts) unless it is missing or archived."""
    record = store.get(str(object_id))
    return record if record is not None and not record["archived"] else None


def deal_view(deal: dict, properties: list[str] | None = None) -> dict:
    """A deal as HubSpot returns it: the named properties (or the defaults) plus the system ones."""
    return record_view(deal, properties, DEFAULT_DEAL_PROPERTIES, ALWAYS_RETURNED)


def _full_view(deal: dict) -> dict:
    return deal_view(deal, [k for k in deal["properties"]])


def _stage_problem(portal: Portal, properties: dict, current: dict | None = None) -> str | None:
    pipeline_id = properties.get("pipeline") or (current or {}).get("pipeline") or "default"
    pipeline = portal.pipelines.get(str(pipeline_id))
    if pipeline is None:
        return f"{pipeline_id} is not a valid pipeline ID."
    stage = properties.get("dealstage")
    if stage is not None and str(stage) not in {s["id"] for s in pipeline["stages"]}:
        return f"{stage} is not a valid deal stage of pipeline {pipeline_id}."
    return None


def _live_deal(portal: Portal, deal_id: str) -> dict | None:
    return live_record(portal.deals, deal_id)


@crm_blp.post("/crm/v3/objects/deals")
def create_deal():
    """Create one deal (201)."""
    state, portal = sandbox_state(), calling_portal()
    properties = json_body().get("properties")
    if not isinstance(properties, dict):
        return validation_error("properties must be an object.")
    with state.lock:
        if (error := unknown_properties_error(portal, "deals", properties)) is not None:
            return error
        if (problem := _stage_problem(portal, properties)) is not None:
            return validation_error(problem)
        deal = state.new_deal(portal, properties)
        events = _api_change(portal.hub_id, deal["id"], "deal.creation")
    deliver(events)  # none unless apiChangeWebhooks is on (_api_change)
    return jsonify(_full_view(deal)), 201


@crm_blp.get("/crm/v3/objects/deals")
def list_deals():
    """A page of deals in id order: ``limit`` (at most 100), ``after``, ``properties``, ``archived``."""
    try:
        limit = int(request.args.get("limit", 10))
        offset = int(request.args.get("after") or 0)
    except ValueError:
        return validation_error("limit and after must be numbers.")
    if not 1 <= limit <= BATCH_LIMIT:
        return validation_error(f"limit must be between 1 and {BATCH_LIMIT}.")
    archived = request.args.get("archived") == "true"
    deals = sorted((d for d in calling_portal().deals.values() if d["archived"] == archived), key=lambda d: int(d["id"]))
    page = deals[offset:offset + limit]
    properties = requested_properties(request.args.get("properties"))
    answer = {"results": [deal_view(d, properties) for d in page]}
    if offset + limit < len(deals):
        answer["paging"] = {"next": {"after": str(offset + limit)}}
    return jsonify(answer)


@crm_blp.get("/crm/v3/objects/deals/<deal_id>")
def get_deal(deal_id):
    """Read one deal (archived ones only with ``archived=true``)."""
    deal = calling_portal().deals.get(deal_id)
    want_archived = request.args.get("archived") == "true"
    if deal is None or deal["archived"] != want_archived:
        return object_not_found(deal_id)
    return jsonify(deal_view(deal, requested_properties(request.args.get("properties"))))


@crm_blp.patch("/crm/v3/objects/deals/<deal_id>")
def update_deal(deal_id):
    """Change some properties of a deal."""
    state, portal = sandbox_state(), calling_portal()
    properties = json_body().get("properties")
    if not isinstance(properties, dict):
        return validation_error("properties must be an object.")
    with state.lock:
        deal = _live_deal(portal, deal_id)
        if deal is None:
            return object_not_found(deal_id)
        if (error := unknown_properties_error(portal, "deals", properties)) is not None:
            return error
        if (problem := _stage_problem(portal, properties, deal["properties"])) is not None:
            return validation_error(problem)
        state.touch_deal(deal, properties)
        events = _api_change(portal.hub_id, deal_id, "deal.propertyChange", properties)
    deliver(events)  # none unless apiChangeWebhooks is on (_api_change)
    return jsonify(_full_view(deal))


@crm_blp.delete("/crm/v3/objects/deals/<deal_id>")
def archive_deal(deal_id):
    """Archive (HubSpot's delete) a deal; 204 even when it is already gone."""
    state, portal = sandbox_state(), calling_portal()
    events = []
    with state.lock:
        deal = _live_deal(portal, deal_id)
        if deal is not None:
            deal["archived"] = True
            state.touch_deal(deal, {})
            events = _api_change(portal.hub_id, deal_id, "deal.deletion")
    deliver(events)  # none unless apiChangeWebhooks is on (_api_change)
    return "", 204


def batch_inputs():
    body = json_body()
    inputs = body.get("inputs")
    if not isinstance(inputs, list):
        return body, None, validation_error("inputs must be a list.")
    if len(inputs) > BATCH_LIMIT:
        return body, None, validation_error(f"Batch input limit of {BATCH_LIMIT} exceeded: got {len(inputs)}.",
                                             errors=[{"message": f"at most {BATCH_LIMIT} inputs",
                                                      "code": "TOO_MANY_INPUTS"}])
    return body, inputs, None


def batch_response(results: list, errors: list, started: float, status: int = 200):
    body = {"status": "COMPLETE", "results": results, "startedAt": iso(started), "completedAt": iso(now())}
    if errors:
        body["numErrors"] = len(errors)
        body["errors"] = errors
        status = 207
    return jsonify(body), status


def missing_ids_error(ids: list[str], object_name: str = "DEAL") -> dict:
    return {"status": "error", "category": "OBJECT_NOT_FOUND", "message": f"Could not get some {object_name} "
            "objects, they may be deleted or not exist. Check that ids are valid.", "context": {"ids": ids},
            "errors": [], "links": {}}


@crm_blp.post("/crm/v3/objects/deals/batch/create")
def batch_create():
    """Create up to 100 deals at once (201)."""
    state, portal, started = sandbox_state(), calling_portal(), now()
    _body, inputs, error = batch_inputs()
    if error is not None:
        return error
    with state.lock:
        for i, item in enumerate(inputs):
            properties = (item or {}).get("properties")
            if not isinstance(properties, dict):
                return validation_error(f"inputs[{i}].properties must be an object.")
            if (error := unknown_properties_error(portal, "deals", properties)) is not None:
                return error
            if (problem := _stage_problem(portal, properties)) is not None:
                return validation_error(f"inputs[{i}]: {problem}")
        deals = [state.new_deal(portal, item["properties"]) for item in inputs]
        events = [e for d in deals for e in _api_change(portal.hub_id, d["id"], "deal.creation")]
    deliver(events)  # none unless apiChangeWebhooks is on (_api_change)
    return batch_response([_full_view(d) for d in deals], [], started, 201)


@crm_blp.post("/crm/v3/objects/deals/batch/read")
def batch_read():
    """Read up to 100 deals by id; unknown ids are reported with a 207."""
    portal, started = calling_portal(), now()
    body, inputs, error = batch_inputs()
    if error is not None:
        return error
    properties = requested_properties(body.get("properties") or None)
    results, missing = [], []
    for item in inputs:
        deal = _live_deal(portal, str((item or {}).get("id")))
        if deal is None:
            missing.append(str((item or {}).get("id")))
        else:
            results.append(deal_view(deal, properties))
    return batch_response(results, [missing_ids_error(missing)] if missing else [], started)


@crm_blp.post("/crm/v3/objects/deals/batch/update")
def batch_update():
    """Update up to 100 deals by id; unknown ids are reported with a 207."""
    state, portal, started = sandbox_state(), calling_portal(), now()
    _body, inputs, error = batch_inputs()
    if error is not None:
        return error
    results, missing = [], []
    with state.lock:
        for i, item in enumerate(inputs):
            properties = (item or {}).get("properties")
            if not isinstance(properties, dict):
                return validation_error(f"inputs[{i}].properties must be an object.")
            if (error := unknown_properties_error(portal, "deals", properties)) is not None:
                return error
            deal = _live_deal(portal, str(item.get("id")))
            if deal is not None and (problem := _stage_problem(portal, properties, deal["properties"])):
                return validation_error(f"inputs[{i}]: {problem}")
        events = []
        for item in inputs:
            deal = _live_deal(portal, str(item.get("id")))
            if deal is None:
                missing.append(str(item.get("id")))
                continue
            state.touch_deal(deal, item["properties"])
            results.append(_full_view(deal))
            events += _api_change(portal.hub_id, deal["id"], "deal.propertyChange", item["properties"])
    deliver(events)  # none unless apiChangeWebhooks is on (_api_change)
    return batch_response(results, [missing_ids_error(missing)] if missing else [], started)


@crm_blp.post("/crm/v3/objects/deals/batch/archive")
def batch_archive():
    """Archive up to 100 deals by id (204; ids already gone are ignored, as HubSpot does)."""
    state, portal = sandbox_state(), calling_portal()
    _body, inputs, error = batch_inputs()
    if error is not None:
        return error
    events = []
    with state.lock:
        for item in inputs:
            deal = _live_deal(portal, str((item or {}).get("id")))
            if deal is not None:
                deal["archived"] = True
                state.touch_deal(deal, {})
                events += _api_change(portal.hub_id, deal["id"], "deal.deletion")
    deliver(events)  # none unless apiChangeWebhooks is on (_api_change)
    return "", 204


@crm_blp.post("/crm/v3/objects/deals/search")
def search_deals():
    """Filter groups (OR of ANDs), sorts, ``limit`` (at most 200), ``after`` paging, the result cap."""
    live = [d for d in calling_portal().deals.values() if not d["archived"]]
    return search(live, json_body(), lambda deal, names: deal_view(deal, requested_properties(names)))
