"""``/v1/events`` (what happened) and ``/v1/webhook_endpoints`` (who is told, with which signing secret)."""
from __future__ import annotations

import fnmatch
import secrets

from flask import Blueprint, jsonify

from ..errors import StripeError
from ..objects import new_id, now
from ..params import EXPAND, LIST_PARAMS, METADATA, Param
from ..state import sandbox_state
from ..wire import answer, answer_list, answer_retrieved, request_params

events_blp = Blueprint("stripe_events", __name__)

ENDPOINT_UPDATE = {"url": Param(), "enabled_events": Param("strings"), "description": Param(),
                   "disabled": Param("boolean"), "metadata": METADATA, "expand": EXPAND}
ENDPOINT_CREATE = {**ENDPOINT_UPDATE, "url": Param(required=True), "enabled_events": Param("strings", required=True),
                   "connect": Param("boolean"), "api_version": Param()}


@events_blp.get("/v1/events/<event_id>")
def retrieve_event(event_id):
    return answer_retrieved("event", event_id)


@events_blp.get("/v1/events")
def list_events():
    """Newest first; ``type`` takes a wildcard (``charge.*``), ``types`` a list."""
    params = request_params({**LIST_PARAMS, "type": Param(), "types": Param("strings")})
    if params.get("type") and params.get("types"):
        raise StripeError(400, "You may only specify one of these parameters: type, types.",
                          code="parameters_exclusive", param="types")
    patterns = params.get("types") or ([params["type"]] if params.get("type") else ["*"])
    state = sandbox_state()
    with state.lock:
        events = [e for e in state.all_of("event") if any(fnmatch.fnmatchcase(e["type"], p) for p in patterns)]
        return answer_list(events, params)


def _check_url(url: str) -> None:
    if not url.startswith(("http://", "https://")):
        raise StripeError(400, "Invalid URL: URL must be a valid http or https URL.", code="url_invalid", param="url")


@events_blp.post("/v1/webhook_endpoints")
def create_webhook_endpoint():
    """The answer carries the endpoint's ``whsec_`` signing secret, as Stripe's does (only this once)."""
    params = request_params(ENDPOINT_CREATE)
    _check_url(params["url"])
    state = sandbox_state()
    with state.lock:
        secret = "whsec_" + secrets.token_urlsafe(24)
        endpoint = {"id": new_id("we"), "object": "webhook_endpoint", "api_version": params.get("api_version"),
                    "application": None, "created": now(), "description": params.get("description"),
                    "enabled_events": params["enabled_events"], "livemode": False,
                    "metadata": {k: v for k, v in (params.get("metadata") or {}).items() if v is not None},
                    "status": "enabled", "url": params["url"]}
        state.add(endpoint, secret=secret, connect=bool(params.get("connect")))
        return answer({**state.view(endpoint["id"]), "secret": secret}, params)


@events_blp.get("/v1/webhook_endpoints/<endpoint_id>")
def retrieve_webhook_endpoint(endpoint_id):
    return answer_retrieved("webhook_endpoint", endpoint_id)


@events_blp.post("/v1/webhook_endpoints/<endpoint_id>")
def update_webhook_endpoint(endpoint_id):
    params = request_params(ENDPOINT_UPDATE)
    state = sandbox_state()
    with state.lock:
        endpoint = state.get("webhook_endpoint", endpoint_id, "id")
        if params.get("url"):
            _check_url(params["url"])
            endpoint["url"] = params["url"]
        if params.get("enabled_events"):
            endpoint["enabled_events"] = params["enabled_events"]
        if "description" in params:
            endpoint["description"] = params["description"]
        if "disabled" in params:
            endpoint["status"] = "disabled" if params["disabled"] else "enabled"
        return answer(state.view(endpoint["id"]), params)


@events_blp.delete("/v1/webhook_endpoints/<endpoint_id>")
def delete_webhook_endpoint(endpoint_id):
    request_params({})
    state = sandbox_state()
    with state.lock:
        endpoint = state.get("webhook_endpoint", endpoint_id, "id")
        del state.objects[endpoint["id"]]
        return jsonify({"id": endpoint["id"], "object": "webhook_endpoint", "deleted": True})


@events_blp.get("/v1/webhook_endpoints")
def list_webhook_endpoints():
    params = request_params(LIST_PARAMS)
    state = sandbox_state()
    with state.lock:
        return answer_list(state.all_of("webhook_endpoint"), params)
