"""The OAuth flow: a signed single-use state, HubSpot's consent URL, the callback and the code exchange."""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from mongoengine.errors import NotUniqueError

from pc_app.toolkit import Actor, Partner, User, emit, get_redis, utcnow

from ..models import HubSpotConnection
from .client import sdk_client
from .errors import AuthorizationRejected, HubSpotError, HubSpotNotConfigured, upstream_failure
from .pipeline import ensure_pipeline
from .tokens import _expiry_fields, _sealed_tokens

log = logging.getLogger("plugins.hubspot")

STATE_TTL_SECONDS = 600
STATE_SALT = "hubspot-oauth-state"
STATE_KEY = "pc:hubspot:oauth-state:"


def _state_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["JWT_SECRET"], salt=STATE_SALT)


def authorization_url(partner: Partner, user: User) -> str:
    """HubSpot's consent URL with a signed, single-use state valid 10 minutes."""
    config = current_app.config
    if not config["HUBSPOT_CLIENT_ID"]:
        raise HubSpotNotConfigured("HubSpot is not configured on this platform (HUBSPOT_CLIENT_ID is empty).",
                           "not_configured")
    nonce = secrets.token_urlsafe(16)
    get_redis().set(STATE_KEY + nonce, str(partner.id), ex=STATE_TTL_SECONDS)
    state = _state_serializer().dumps({"p": str(partner.id), "u": str(user.id), "n": nonce})
    query = urlencode({"client_id": config["HUBSPOT_CLIENT_ID"], "redirect_uri": config["HUBSPOT_REDIRECT_URI"],
                       "scope": " ".join(config["HUBSPOT_SCOPES"]), "state": state})
    return f"{config['HUBSPOT_AUTHORIZE_URL']}?{query}"


@dataclass(frozen=True)
class OAuthState:
    partner_id: str
    user_id: str


def consume_state(state: str | None) -> OAuthState:
    """Check the signature and age, then spend the state: a second use is refused."""
    if not state:
        raise AuthorizationRejected("The state is missing.", "invalid_state")
    try:
        data = _state_serializer().loads(state, max_age=STATE_TTL_SECONDS)
    except SignatureExpired:
        raise AuthorizationRejected("The state has expired.", "state_expired") from None
    except BadSignature:
        raise AuthorizationRejected("The state is not ours.", "invalid_state") from None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("p", "u", "n")):
        raise AuthorizationRejected("The state is malformed.", "invalid_state")
    # DEL answers 1 exactly once, whoever races: that is what makes the state single-use.
    if get_redis().delete(STATE_KEY + data["n"]) != 1:
        raise AuthorizationRejected("The state was already used.", "state_used")
    return OAuthState(data["p"], data["u"])


def callback_redirect(status: str, reason: str | None = None, **extra) -> str:
    params = {"status": status}
    if reason:
        params["reason"] = reason
    params.update(extra)
    return f"{current_app.config['FRONTEND_URL'].rstrip('/')}/settings/integrations/hubspot?{urlencode(params)}"


def complete_authorization(code: str | None, state: str | None, error: str | None) -> str:
    """The OAuth callback: returns the frontend URL to redirect to (success or a reason code)."""
    try:
        oauth_state = consume_state(state)
        if error:
            raise AuthorizationRejected("The HubSpot user did not grant access.",
                                        "access_denied" if error == "access_denied" else "authorization_failed")
        if not code:
            raise AuthorizationRejected("HubSpot sent no code.", "missing_code")
        partner = Partner.objects(id=oauth_state.partner_id).first()
        if partner is None:
            raise AuthorizationRejected("The partner no longer exists.", "invalid_state")
        connection = connect_partner(partner, code, actor=Actor.of_user(oauth_state.user_id))
    except AuthorizationRejected as rejected:
        log.info("hubspot authorization rejected reason=%s", rejected.reason)
        return callback_redirect("error", rejected.reason)
    extra = {}
    try:
        ensure_pipeline(connection.partner)
    except HubSpotError:
        extra["pipeline"] = "failed"  # connected all the same; the UI offers create-pipeline again
    return callback_redirect("success", **extra)


def connect_partner(partner: Partner, code: str, actor: Actor) -> HubSpotConnection:
    """Exchange the code, learn the portal, store the tokens sealed; one portal per partner."""
    config = current_app.config
    oauth = sdk_client().oauth
    try:
        tokens = oauth.tokens_api.create(grant_type="authorization_code", code=code,
                                         redirect_uri=config["HUBSPOT_REDIRECT_URI"],
                                         client_id=config["HUBSPOT_CLIENT_ID"],
                                         client_secret=config["HUBSPOT_CLIENT_SECRET"])
        info = oauth.access_tokens_api.get(tokens.access_token)
    except Exception as exc:
        upstream_failure(exc, "exchanging the authorization code")
        raise AuthorizationRejected("HubSpot refused the authorization code.", "code_exchange_failed") from None

    hub_id = int(info.hub_id)
    taken = HubSpotConnection.objects(hub_id=hub_id, partner__ne=str(partner.id)).first()
    if taken is not None:
        raise AuthorizationRejected("This HubSpot portal is connected to another partner.", "portal_in_use")
    existing = HubSpotConnection.objects(partner=str(partner.id)).first()
    now = utcnow()
    fields = {"hub_id": hub_id, "last_hub_id": hub_id, "scopes": list(info.scopes or []), "status": "healthy",
              "status_reason": None, "refresh_failures": 0, "connected_by": actor, "connected_at": now,
              "last_refreshed_at": now, "disconnected_at": None, **_expiry_fields(tokens.expires_in)}
    if existing is not None and existing.last_hub_id != hub_id:
        fields.update(pipeline_id=None, stage_mapping={})  # another portal: its pipeline is not ours
    try:
        if existing is None:
            connection = HubSpotConnection(partner=str(partner.id), **fields)
            for name, sealed in _sealed_tokens(connection.id, tokens.access_token, tokens.refresh_token).items():
                setattr(connection, name, sealed)
            connection.save(force_insert=True)
        else:
            fields.update(_sealed_tokens(existing.id, tokens.access_token, tokens.refresh_token))
            HubSpotConnection.objects(id=existing.id).update_one(
                **{f"set__{k}": v for k, v in fields.items()}, set__updated_at=now)
            connection = HubSpotConnection.objects(id=existing.id).get()
    except NotUniqueError:
        # Lost a race: either the portal was just taken by another partner, or this partner's
        # second callback won; both mean this one does not connect.
        raise AuthorizationRejected("This HubSpot portal is connected to another partner.", "portal_in_use") \
            from None
    emit("hubspot.connected", partner_ids=[partner.id], actor=actor,
         payload={"partnerId": str(partner.id), "hubId": hub_id, "scopes": list(connection.scopes)})
    return connection
