"""HubSpot's CRM v3 endpoints for deal pipelines and deals (single, batch, search) in the sandbox."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, g, jsonify, request

from .errors import hubspot_error
from .state import ALWAYS_RETURNED, DEFAULT_DEAL_PROPERTIES, Portal, iso, now, sandbox_state

crm_blp = Blueprint("sandbox_crm", __name__)

BATCH_LIMIT = 100
SEARCH_LIMIT = 200
DEAL_OBJECT_TYPES = ("deals", "deal", "0-3")
DATE_PROPERTIES = ("createdate", "hs_lastmodifieddate", "closedate")


def _portal() -> Portal:
    return sandbox_state().portal(g.hub_id)


def _json_body() -> dict:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _validation_error(message: str, **extra):
    return hubspot_error(400, message, "VALIDATION_ERROR", **extra)


def _deal_not_found(deal_id: str):
    return hubspot_error(404, "Object not found.  objectId are usually numeric.", "OBJECT_NOT_FOUND",
                         context={"id": [deal_id]})


# --- pipelines ---------------------------------------------------------------------------------

def _check_object_type(object_type: str):
    if object_type not in DEAL_OBJECT_TYPES:
        return _validation_error(f"Unable to infer object type from: {object_type}")
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
    pipelines = [p for p in _portal().pipelines.values() if not p["archived"]]
    return jsonify({"results": pipelines})


@crm_blp.post("/crm/v3/pipelines/<object_type>")
def create_pipeline(object_type):
    """Create a pipeline with its stages; labels are unique per portal."""
    if (error := _check_object_type(object_type)) is not None:
        return error
    body, state, portal = _json_body(), sandbox_state(), _portal()
    label = (body.get("label") or "").strip()
    if not label:
        return _validation_error("A pipeline needs a label.")
    if (problem := _stage_problems(body.get("stages"))) is not None:
        return _validation_error(problem)
    with state.lock:
        if any(p["label"].lower() == label.lower() and not p["archived"] for p in portal.pipelines.values()):
            return _validation_error(f"A pipeline with label '{label}' already exists.")
        ts = now()
        stages = [state.make_stage(state.next_id(), s["label"], s.get("displayOrder", i), s.get("metadata") or {}, ts)
                  for i, s in enumerate(body["stages"])]
        pipeline = {"id": state.next_id(), "label": label, "displayOrder": body.get("displayOrder", len(portal.pipelines)),
                    "stages": stages, "createdAt": iso(ts), "updatedAt": iso(ts), "archived": False}
        portal.pipelines[pipeline["id"]] = pipeline
    return jsonify(pipeline), 201


def _find_pipeline(pipeline_id: str):
    pipeline = _portal().pipelines.get(pipeline_id)
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
    body = _json_body()
    for key in ("label", "displayOrder", "archived"):
        if key in body:
            pipeline[key] = body[key]
    pipeline["updatedAt"] = iso(now())
    return jsonify(pipeline)


# --- deals -------------------------------------------------------------------------------------

def _requested_properties(names) -> list[str] | None:
    if names is None:
        return None
    if isinstance(names, str):
        names = names.split(",")
    return [n.strip() for n in names if n and n.strip()]


def deal_view(deal: dict, properties: list[str] | None = None) -> dict:
    """A deal as HubSpot returns it: the named properties (or the defaults) plus the system ones."""
    wanted = DEFAULT_DEAL_PROPERTIES if properties is None else tuple(properties) + ALWAYS_RETURNED
    props = {name: deal["properties"].get(name) for name in wanted}
    view = {"id": deal["id"], "properties": props, "createdAt": deal["createdAt"], "updatedAt": deal["updatedAt"],
            "archived": deal["archived"]}
    if deal["archived"]:
        view["archivedAt"] = deal["updatedAt"]
    return view


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
    deal = portal.deals.get(str(deal_id))
    return deal if deal is not None and not deal["archived"] else None


@crm_blp.post("/crm/v3/objects/deals")
def create_deal():
    """Create one deal (201)."""
    state, portal = sandbox_state(), _portal()
    properties = _json_body().get("properties")
    if not isinstance(properties, dict):
        return _validation_error("properties must be an object.")
    with state.lock:
        if (problem := _stage_problem(portal, properties)) is not None:
            return _validation_error(problem)
        deal = state.new_deal(portal, properties)
    return jsonify(_full_view(deal)), 201


@crm_blp.get("/crm/v3/objects/deals")
def list_deals():
    """A page of deals in id order: ``limit`` (at most 100), ``after``, ``properties``, ``archived``."""
    try:
        limit = int(request.args.get("limit", 10))
        offset = int(request.args.get("after") or 0)
    except ValueError:
        return _validation_error("limit and after must be numbers.")
    if not 1 <= limit <= BATCH_LIMIT:
        return _validation_error(f"limit must be between 1 and {BATCH_LIMIT}.")
    archived = request.args.get("archived") == "true"
    deals = sorted((d for d in _portal().deals.values() if d["archived"] == archived), key=lambda d: int(d["id"]))
    page = deals[offset:offset + limit]
    properties = _requested_properties(request.args.get("properties"))
    answer = {"results": [deal_view(d, properties) for d in page]}
    if offset + limit < len(deals):
        answer["paging"] = {"next": {"after": str(offset + limit)}}
    return jsonify(answer)


@crm_blp.get("/crm/v3/objects/deals/<deal_id>")
def get_deal(deal_id):
    """Read one deal (archived ones only with ``archived=true``)."""
    deal = _portal().deals.get(deal_id)
    want_archived = request.args.get("archived") == "true"
    if deal is None or deal["archived"] != want_archived:
        return _deal_not_found(deal_id)
    return jsonify(deal_view(deal, _requested_properties(request.args.get("properties"))))


@crm_blp.patch("/crm/v3/objects/deals/<deal_id>")
def update_deal(deal_id):
    """Change some properties of a deal."""
    state, portal = sandbox_state(), _portal()
    properties = _json_body().get("properties")
    if not isinstance(properties, dict):
        return _validation_error("properties must be an object.")
    with state.lock:
        deal = _live_deal(portal, deal_id)
        if deal is None:
            return _deal_not_found(deal_id)
        if (problem := _stage_problem(portal, properties, deal["properties"])) is not None:
            return _validation_error(problem)
        state.touch_deal(deal, properties)
    return jsonify(_full_view(deal))


@crm_blp.delete("/crm/v3/objects/deals/<deal_id>")
def archive_deal(deal_id):
    """Archive (HubSpot's delete) a deal; 204 even when it is already gone."""
    state, portal = sandbox_state(), _portal()
    with state.lock:
        deal = _live_deal(portal, deal_id)
        if deal is not None:
            deal["archived"] = True
            state.touch_deal(deal, {})
    return "", 204


def _batch_inputs():
    body = _json_body()
    inputs = body.get("inputs")
    if not isinstance(inputs, list):
        return body, None, _validation_error("inputs must be a list.")
    if len(inputs) > BATCH_LIMIT:
        return body, None, _validation_error(f"Batch input limit of {BATCH_LIMIT} exceeded: got {len(inputs)}.",
                                             errors=[{"message": f"at most {BATCH_LIMIT} inputs",
                                                      "code": "TOO_MANY_INPUTS"}])
    return body, inputs, None


def _batch_response(results: list, errors: list, started: float, status: int = 200):
    body = {"status": "COMPLETE", "results": results, "startedAt": iso(started), "completedAt": iso(now())}
    if errors:
        body["numErrors"] = len(errors)
        body["errors"] = errors
        status = 207
    return jsonify(body), status


def _missing_ids_error(ids: list[str]) -> dict:
    return {"status": "error", "category": "OBJECT_NOT_FOUND", "message": "Could not get some DEAL objects, "
            "they may be deleted or not exist. Check that ids are valid.", "context": {"ids": ids}, "errors": [],
            "links": {}}


@crm_blp.post("/crm/v3/objects/deals/batch/create")
def batch_create():
    """Create up to 100 deals at once (201)."""
    state, portal, started = sandbox_state(), _portal(), now()
    _body, inputs, error = _batch_inputs()
    if error is not None:
        return error
    with state.lock:
        for i, item in enumerate(inputs):
            properties = (item or {}).get("properties")
            if not isinstance(properties, dict):
                return _validation_error(f"inputs[{i}].properties must be an object.")
            if (problem := _stage_problem(portal, properties)) is not None:
                return _validation_error(f"inputs[{i}]: {problem}")
        deals = [state.new_deal(portal, item["properties"]) for item in inputs]
    return _batch_response([_full_view(d) for d in deals], [], started, 201)


@crm_blp.post("/crm/v3/objects/deals/batch/read")
def batch_read():
    """Read up to 100 deals by id; unknown ids are reported with a 207."""
    portal, started = _portal(), now()
    body, inputs, error = _batch_inputs()
    if error is not None:
        return error
    properties = _requested_properties(body.get("properties") or None)
    results, missing = [], []
    for item in inputs:
        deal = _live_deal(portal, str((item or {}).get("id")))
        if deal is None:
            missing.append(str((item or {}).get("id")))
        else:
            results.append(deal_view(deal, properties))
    return _batch_response(results, [_missing_ids_error(missing)] if missing else [], started)


@crm_blp.post("/crm/v3/objects/deals/batch/update")
def batch_update():
    """Update up to 100 deals by id; unknown ids are reported with a 207."""
    state, portal, started = sandbox_state(), _portal(), now()
    _body, inputs, error = _batch_inputs()
    if error is not None:
        return error
    results, missing = [], []
    with state.lock:
        for i, item in enumerate(inputs):
            properties = (item or {}).get("properties")
            if not isinstance(properties, dict):
                return _validation_error(f"inputs[{i}].properties must be an object.")
            deal = _live_deal(portal, str(item.get("id")))
            if deal is not None and (problem := _stage_problem(portal, properties, deal["properties"])):
                return _validation_error(f"inputs[{i}]: {problem}")
        for item in inputs:
            deal = _live_deal(portal, str(item.get("id")))
            if deal is None:
                missing.append(str(item.get("id")))
                continue
            state.touch_deal(deal, item["properties"])
            results.append(_full_view(deal))
    return _batch_response(results, [_missing_ids_error(missing)] if missing else [], started)


def _comparable(name: str, value):
    """Dates compare as epoch milliseconds (HubSpot accepts ms or ISO), numbers as numbers."""
    if value is None:
        return None
    text = str(value)
    if name in DATE_PROPERTIES:
        if text.lstrip("-").isdigit():
            return int(text)
        try:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.timezone.utc)
        return int(parsed.timestamp() * 1000)
    try:
        return float(text)
    except ValueError:
        return text.lower()


def _filter_matches(deal: dict, flt: dict) -> bool:
    name, operator = flt.get("propertyName"), flt.get("operator", "EQ")
    actual = _comparable(name, deal["properties"].get(name))
    if operator == "HAS_PROPERTY":
        return actual not in (None, "")
    if operator == "NOT_HAS_PROPERTY":
        return actual in (None, "")
    if operator in ("IN", "NOT_IN"):
        values = [_comparable(name, v) for v in flt.get("values") or []]
        return (actual in values) == (operator == "IN")
    expected = _comparable(name, flt.get("value"))
    if operator == "EQ":
        return actual == expected
    if operator == "NEQ":
        return actual != expected
    if actual is None or expected is None or type(actual) is not type(expected):
        return False
    if operator == "BETWEEN":
        high = _comparable(name, flt.get("highValue"))
        return high is not None and expected <= actual <= high
    return {"GT": actual > expected, "GTE": actual >= expected, "LT": actual < expected,
            "LTE": actual <= expected}.get(operator, False)


def _sort_key(value):
    """Missing values last, numbers by value, text alphabetically."""
    if value is None:
        return (2, 0, "")
    if isinstance(value, (int, float)):
        return (0, value, "")
    return (1, 0, str(value))


@crm_blp.post("/crm/v3/objects/deals/search")
def search_deals():
    """Filter groups (OR of ANDs), sorts, ``limit`` (at most 200) and ``after`` paging."""
    portal, body = _portal(), _json_body()
    groups = body.get("filterGroups") or []
    limit = body.get("limit") or 10
    if not isinstance(limit, int) or not 1 <= limit <= SEARCH_LIMIT:
        return _validation_error(f"limit must be between 1 and {SEARCH_LIMIT}.")
    try:
        offset = int(body.get("after") or 0)
    except (TypeError, ValueError):
        return _validation_error("after must be a paging cursor from a previous answer.")
    deals = [d for d in portal.deals.values() if not d["archived"]]
    if groups:
        deals = [d for d in deals if any(all(_filter_matches(d, f) for f in (grp.get("filters") or []))
                                         for grp in groups)]
    deals.sort(key=lambda d: int(d["id"]))
    for sort in reversed(body.get("sorts") or []):
        if isinstance(sort, str):
            name, descending = sort.lstrip("-"), sort.startswith("-")
        else:
            name, descending = sort.get("propertyName"), sort.get("direction", "ASCENDING") == "DESCENDING"
        deals.sort(key=lambda d, n=name: _sort_key(_comparable(n, d["properties"].get(n))), reverse=descending)
    page = deals[offset:offset + limit]
    answer = {"total": len(deals), "results": [deal_view(d, _requested_properties(body.get("properties") or None))
                                               for d in page]}
    if offset + limit < len(deals):
        answer["paging"] = {"next": {"after": str(offset + limit)}}
    return jsonify(answer)
