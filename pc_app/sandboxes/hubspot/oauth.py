"""HubSpot's OAuth 2.0 endpoints in the sandbox: consent, token grants, token info and revocation."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, g, jsonify, redirect, request

from .state import sandbox_state

oauth_blp = Blueprint("sandbox_oauth", __name__)


def _redirect_with(redirect_uri: str, **params):
    separator = "&" if "?" in redirect_uri else "?"
    return redirect(redirect_uri + separator + urlencode({k: v for k, v in params.items() if v is not None}), 302)


def _oauth_error(status_code: str, message: str, http_status: int = 400, error: str = "invalid_grant"):
    """HubSpot's token error body; ``error`` carries the RFC 6749 code beside HubSpot's ``status``."""
    import uuid

    return jsonify({"status": status_code, "message": message, "correlationId": str(uuid.uuid4()),
                    "error": error, "error_description": message}), http_status


@oauth_blp.get("/oauth/authorize")
def authorize():
    """Auto-consent: the 'user' picks portal ``portal`` (or a fresh one) unless ``deny=1``."""
    state = sandbox_state()
    redirect_uri = request.args.get("redirect_uri", "")
    client_id = request.args.get("client_id", "")
    if not redirect_uri or client_id != state.settings.client_id:
        return jsonify({"status": "error", "message": "Unknown client_id or missing redirect_uri."}), 400
    if request.args.get("deny") in ("1", "true"):
        return _redirect_with(redirect_uri, error="access_denied",
                              error_description="The user denied access.", state=request.args.get("state"))
    try:
        hub_id = int(request.args["portal"]) if request.args.get("portal") else None
    except ValueError:
        return jsonify({"status": "error", "message": "portal must be a hub id (a number)."}), 400
    portal = state.portal(hub_id)
    scopes = [s for s in request.args.get("scope", "").replace("+", " ").split() if s]
    user = request.args.get("user") or f"user@portal-{portal.hub_id}.example"
    code = state.issue_code(portal.hub_id, client_id, redirect_uri, scopes, user)
    g.hub_id = portal.hub_id
    return _redirect_with(redirect_uri, code=code, state=request.args.get("state"))


@oauth_blp.post("/oauth/v1/token")
def token():
    """``authorization_code`` and ``refresh_token`` grants, form-encoded, client credentials in the body."""
    state = sandbox_state()
    form = request.form
    if form.get("client_id") != state.settings.client_id or form.get("client_secret") != state.settings.client_secret:
        return _oauth_error("BAD_CLIENT_ID", "missing or unknown client id or secret", error="invalid_client")
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        grant = state.redeem_code(form.get("code", ""), form["client_id"], form.get("redirect_uri", ""))
        if grant is None:
            return _oauth_error("BAD_AUTH_CODE", "missing or unknown auth code")
        access, refresh = state.issue_tokens(grant.hub_id, grant.scopes, grant.user, grant.client_id)
    elif grant_type == "refresh_token":
        issued = state.rotate_refresh_token(form.get("refresh_token", ""), form["client_id"])
        if issued is None:
            return _oauth_error("BAD_REFRESH_TOKEN", "missing or unknown refresh token")
        access, refresh = issued
    else:
        return _oauth_error("BAD_GRANT_TYPE", "grant_type must be authorization_code or refresh_token",
                            error="unsupported_grant_type")
    g.hub_id = access.hub_id
    return jsonify({"token_type": "bearer", "refresh_token": refresh, "access_token": access.token,
                    "expires_in": state.settings.access_token_ttl})


@oauth_blp.get("/oauth/v1/access-tokens/<token>")
def access_token_info(token):
    """What HubSpot tells about an access token: portal, user, scopes, seconds left."""
    import time

    state = sandbox_state()
    grant, why = state.valid_access_token(token)
    if grant is None:
        return _oauth_error("EXPIRED_AUTHENTICATION" if why == "expired" else "BAD_ACCESS_TOKEN",
                            f"The access token is {why}.", http_status=401 if why == "expired" else 404,
                            error="invalid_token")
    g.hub_id = grant.hub_id
    return jsonify({"token": token, "user": grant.user, "hub_domain": f"portal-{grant.hub_id}.sandbox.hubspot.test",
                    "scopes": grant.scopes, "hub_id": grant.hub_id, "app_id": state.settings.app_id,
                    "expires_in": max(int(grant.expires_at - time.time()), 0), "user_id": 1000 + grant.hub_id % 1000,
                    "token_type": "access"})


@oauth_blp.delete("/oauth/v1/refresh-tokens/<token>")
def revoke_refresh_token(token):
    """Revoke a refresh token (the app is uninstalled from the portal for that grant)."""
    state = sandbox_state()
    grant = state.refresh_tokens.get(token)
    if not state.revoke_refresh_token(token):
        return _oauth_error("BAD_REFRESH_TOKEN", "missing or unknown refresh token", http_status=404)
    g.hub_id = grant.hub_id
    return "", 204
