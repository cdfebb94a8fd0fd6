"""The HubSpot sandbox's Flask app: the kit's plumbing plus HubSpot's bearer auth and per-portal rate limit."""
from __future__ import annotations

import math

from flask import g, request

from ..kit import create_stand_in_app
from .admin import admin_blp
from .associations import associations_blp
from .contacts import contacts_blp
from .crm import crm_blp
from .errors import hubspot_error
from .oauth import oauth_blp
from .properties import properties_blp
from .state import HubSpotSettings, HubSpotState, sandbox_state

RATE_LIMIT_DAILY = 250000


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else ""


def _rate_limit_headers(state: HubSpotState, remaining: int) -> dict:
    return {"X-HubSpot-RateLimit-Max": str(state.settings.rate_limit_max),
            "X-HubSpot-RateLimit-Remaining": str(max(remaining, 0)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(state.settings.rate_limit_window * 1000)),
            "X-HubSpot-RateLimit-Daily": str(RATE_LIMIT_DAILY),
            "X-HubSpot-RateLimit-Daily-Remaining": str(RATE_LIMIT_DAILY - 1)}


def _rate_limited(state: HubSpotState, retry_after: float | None = None):
    response, status = hubspot_error(
        429, "You have reached your ten_secondly_rolling limit.", "RATE_LIMITS", errorType="RATE_LIMIT",
        policyName="TEN_SECONDLY_ROLLING", groupName=f"publicapi:oauth:{state.settings.app_id}:{g.get('hub_id')}")
    response.headers.update(_rate_limit_headers(state, 0))
    if retry_after is not None:  # HubSpot itself sends none; injected faults may, to test clients
        response.headers["Retry-After"] = str(max(0, math.ceil(retry_after)))
    return response, status


def _answer_fault(fault):
    state = sandbox_state()
    if fault.status == 429:
        return _rate_limited(state, fault.retry_after)
    response, status = hubspot_error(fault.status, "Injected failure from the HubSpot sandbox.")
    if fault.retry_after is not None:
        response.headers["Retry-After"] = str(fault.retry_after)
    return response, status


def _answer_error(status: int, message: str):
    return hubspot_error(status, message)


def _calling_portal() -> str | None:
    """Whose call this is, from the bearer token (expired tokens still tell, for faults and the call log)."""
    known = sandbox_state().access_tokens.get(_bearer_token())
    g.hub_id = known.hub_id if known is not None else None
    return None if g.hub_id is None else str(g.hub_id)


def _authenticate_and_limit():
    """CRM calls need a live bearer token and count against the portal's rolling rate limit."""
    if not request.path.startswith("/crm/") or request.endpoint is None:
        return None
    state = sandbox_state()
    grant, why = state.valid_access_token(_bearer_token())
    if grant is None:
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


def _call_details(response) -> dict:
    if request.path.startswith("/crm/") and "X-HubSpot-RateLimit-Max" not in response.headers \
            and "rate_limit_remaining" in g:
        response.headers.update(_rate_limit_headers(sandbox_state(), g.rate_limit_remaining))
    return {"portal": g.get("hub_id"),
            "grantType": request.form.get("grant_type") if request.path == "/oauth/v1/token" else None}


def create_sandbox_app(settings: HubSpotSettings | None = None, snapshot_path=None):
    """A Flask app that answers like HubSpot on HubSpot's paths, plus the admin API under ``/_sandbox``."""
    state = HubSpotState(settings or HubSpotSettings(), snapshot_path)
    blueprints = [oauth_blp, crm_blp, contacts_blp, associations_blp, properties_blp, admin_blp]
    app = create_stand_in_app("pc_app.sandboxes.hubspot", state, blueprints=blueprints,
                              answer_fault=_answer_fault, answer_error=_answer_error, fault_scope=_calling_portal,
                              call_details=_call_details, checks=(_authenticate_and_limit,), scope_param="portal")
    return app

