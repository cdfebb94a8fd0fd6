"""The HubSpot sandbox's Flask app: shared request gatekeeping (faults, auth, rate limit, call log)."""
from __future__ import annotations

import math
import time
import uuid

from flask import Flask, g, jsonify, request

from .state import SandboxSettings, SandboxState

RATE_LIMIT_DAILY = 250000


def hubspot_error(status: int, message: str, category: str, **extra):
    """A response in HubSpot's error format (``status``/``message``/``correlationId``/``category``)."""
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category}
    body.update(extra)
    return jsonify(body), status


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else ""


def _rate_limit_headers(state: SandboxState, remaining: int) -> dict:
    return {"X-HubSpot-RateLimit-Max": str(state.settings.rate_limit_max),
            "X-HubSpot-RateLimit-Remaining": str(max(remaining, 0)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(state.settings.rate_limit_window * 1000)),
            "X-HubSpot-RateLimit-Daily": str(RATE_LIMIT_DAILY),
            "X-HubSpot-RateLimit-Daily-Remaining": str(RATE_LIMIT_DAILY - 1)}


def _rate_limited(state: SandboxState, retry_after: float | None = None):
    response, status = hubspot_error(
        429, "You have reached your ten_secondly_rolling limit.", "RATE_LIMITS", errorType="RATE_LIMIT",
        policyName="TEN_SECONDLY_ROLLING", groupName=f"publicapi:oauth:{state.settings.app_id}:{g.hub_id}")
    response.headers.update(_rate_limit_headers(state, 0))
    if retry_after is not None:  # HubSpot itself sends none; injected faults may, to test clients
        response.headers["Retry-After"] = str(max(0, math.ceil(retry_after)))
    return response, status


def _injected_failure(state: SandboxState, fault):
    if fault.status == 429:
        return _rate_limited(state, fault.retry_after)
    categories = {400: "VALIDATION_ERROR", 401: "INVALID_AUTHENTICATION", 403: "MISSING_SCOPES",
                  404: "OBJECT_NOT_FOUND", 409: "CONFLICT"}
    response, status = hubspot_error(fault.status, "Injected failure from the HubSpot sandbox.",
                                     categories.get(fault.status, "INTERNAL_ERROR"))
    if fault.retry_after is not None:
        response.headers["Retry-After"] = str(fault.retry_after)
    return response, status


def _gatekeeper(state: SandboxState):
    """Runs before every HubSpot (non-admin) call: faults, bearer auth, the portal's rate limit."""
    if request.path.startswith("/_sandbox") or request.endpoint is None:
        return None
    g.hub_id = None
    token = _bearer_token()
    grant, _why = state.valid_access_token(token)
    known = state.access_tokens.get(token)
    if known is not None:  # expired tokens still tell whose call it was, for the call log
        g.hub_id = known.hub_id
    fault = state.take_fault(request.path, g.hub_id)
    if fault is not None:
        if fault.latency_ms:
            time.sleep(fault.latency_ms / 1000)
        if fault.status:
            return _injected_failure(state, fault)
    if not request.path.startswith("/crm/"):
        return None
    if grant is None:
        _grant, why = state.valid_access_token(token)
        if why == "expired":
            return hubspot_error(401, "The OAuth token used to make this call expired.", "EXPIRED_AUTHENTICATION",
                                 context={})
        return hubspot_error(
            401, "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can "
                 "find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
            "INVALID_AUTHENTICATION")
    allowed, remaining, _retry_after = state.take_rate_limit(grant.hub_id)
    if not allowed:
        return _rate_limited(state)
    g.rate_limit_remaining = remaining
    return None


def create_sandbox_app(settings: SandboxSettings | None = None) -> Flask:
    """A Flask app that answers like HubSpot on HubSpot's paths, plus an admin API under ``/_sandbox``."""
    from .admin import admin_blp
    from .crm import crm_blp
    from .oauth import oauth_blp

    import copy

    settings = settings or SandboxSettings()
    state = SandboxState(copy.deepcopy(settings))
    app = Flask("pc_app.sandbox")
    app.json.sort_keys = False
    app.extensions["hubspot_sandbox"] = state
    app.extensions["hubspot_sandbox_initial_settings"] = settings
    app.register_blueprint(oauth_blp)
    app.register_blueprint(crm_blp)
    app.register_blueprint(admin_blp)

    @app.before_request
    def _check():
        return _gatekeeper(state)

    @app.after_request
    def _log(response):
        if not request.path.startswith("/_sandbox"):
            if request.path.startswith("/crm/") and "X-HubSpot-RateLimit-Max" not in response.headers \
                    and hasattr(g, "rate_limit_remaining"):
                response.headers.update(_rate_limit_headers(state, g.rate_limit_remaining))
            route = request.url_rule.rule if request.url_rule is not None else request.path
            state.record_call(request.method, request.path, route, response.status_code, getattr(g, "hub_id", None),
                              request.form.get("grant_type") if request.path == "/oauth/v1/token" else None)
        return response

    @app.errorhandler(404)
    def _not_found(_exc):
        return hubspot_error(404, f"No route for {request.method} {request.path}.", "OBJECT_NOT_FOUND")

    @app.errorhandler(405)
    def _not_allowed(_exc):
        return hubspot_error(405, f"{request.method} is not allowed on {request.path}.", "VALIDATION_ERROR")

    return app


def sandbox_state() -> SandboxState:
    from flask import current_app

    return current_app.extensions["hubspot_sandbox"]
