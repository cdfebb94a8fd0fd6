"""HubSpot connection logic: OAuth, encrypted token storage and refresh, the pipeline, webhooks.

Routes, jobs and other plugins (sync) call these functions; ``HubSpotClientFactory`` is the
one way to get an SDK client with a valid token.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import current_app
from hubspot import HubSpot
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from mongoengine.errors import NotUniqueError
from urllib3 import Timeout
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.util.retry import Retry

from pc_app.core.models import Partner, User, as_utc, utcnow
from pc_app.core.vocabulary import DEAL_STATUSES
from pc_app.crypto import DecryptionError, box_from_config, secret_box
from pc_app.events import emit
from pc_app.jobs import enqueue
from pc_app.mail import send_mail
from pc_app.redis_client import get_redis

from .models import HubSpotConnection

log = logging.getLogger("plugins.hubspot")

STATE_TTL_SECONDS = 600
STATE_SALT = "hubspot-oauth-state"
STATE_KEY = "pc:hubspot:oauth-state:"
REFRESH_LOCK_KEY = "pc:hubspot:refresh-lock:"
WEBHOOK_EVENT_KEY = "pc:hubspot:webhook-event:"
WEBHOOK_EVENT_TTL = 7 * 24 * 3600
WEBHOOK_MAX_AGE_MS = 5 * 60 * 1000
REFRESH_MARGIN_SECONDS = 5 * 60      # the factory refreshes first when less than this is left
REFRESH_AHEAD_SECONDS = 10 * 60      # the periodic job refreshes what expires within this
MAX_REFRESH_FAILURES = 3
RETRYABLE_STATUSES = (429, 500, 502, 503, 504)

PIPELINE_LABEL = "Partner Connector"
# (stage label, metadata, dealStatus values mapped to it) — one stage per dealStatus group.
PIPELINE_STAGES = (
    ("New", {"probability": "0.1", "isClosed": "false"}, ("new",)),
    ("Scheduled", {"probability": "0.3", "isClosed": "false"}, ("scheduled",)),
    ("In touch", {"probability": "0.6", "isClosed": "false"}, ("in_touch",)),
    ("Won", {"probability": "1.0", "isClosed": "true"}, ("won",)),
    ("Lost", {"probability": "0.0", "isClosed": "true"}, ("lost_no_show", "lost_disqualified", "lost_no_potential")),
)
MANUAL_STEPS = (
    "In HubSpot, open Settings > Objects > Deals > Pipelines.",
    f"Create a deal pipeline named \u201c{PIPELINE_LABEL}\u201d.",
    "Give it the stages New, Scheduled, In touch, Won (closed won, probability 100 %) and Lost (closed lost, "
    "probability 0 %), in this order.",
    "Back in Partner Connector, press \u201cCreate pipeline\u201d again: the existing pipeline is found and mapped.",
)


# --- errors ------------------------------------------------------------------------------------

class HubSpotError(Exception):
    """Base of this plugin's failures; ``message`` is safe to show (no token, no HubSpot body)."""

    def __init__(self, message: str, reason: str = "hubspot_error"):
        super().__init__(message)
        self.message, self.reason = message, reason


class HubSpotUnavailable(HubSpotError):
    """HubSpot failed or could not be reached (a 502 for our callers)."""


class NotConnected(HubSpotError):
    """The partner has no usable HubSpot connection (a 409 for our callers)."""


class PipelineSetupFailed(HubSpotUnavailable):
    """The pipeline could not be created or found; the partner can follow ``MANUAL_STEPS``."""


class AuthorizationRejected(HubSpotError):
    """The OAuth callback cannot complete; ``reason`` goes into the redirect URL."""


def api_status(exc: Exception) -> int | None:
    """The HTTP status of an SDK ApiException (each SDK package has its own class), else None."""
    status = getattr(exc, "status", None)
    return status if isinstance(status, int) and hasattr(exc, "body") else None


def _api_body(exc: Exception) -> dict:
    try:
        body = json.loads(getattr(exc, "body", None) or "{}")
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def is_invalid_grant(exc: Exception) -> bool:
    """HubSpot answers a dead refresh token or code with 400 and BAD_REFRESH_TOKEN / invalid_grant."""
    body = _api_body(exc)
    return api_status(exc) == 400 and (body.get("error") == "invalid_grant" or
                                       body.get("status") in ("BAD_REFRESH_TOKEN", "BAD_AUTH_CODE"))


def _upstream_failure(exc: Exception, doing: str) -> HubSpotUnavailable:
    status = api_status(exc)
    if status is None and not isinstance(exc, (Urllib3Error, OSError)):
        raise exc
    # Only the status is logged: SDK exceptions carry response bodies that may hold tokens.
    log.warning("hubspot call failed while %s: status=%s error=%s", doing, status, type(exc).__name__)
    detail = f"HubSpot answered {status}" if status else "HubSpot could not be reached"
    return HubSpotUnavailable(f"{detail} while {doing}.")


# --- SDK clients -------------------------------------------------------------------------------

def retry_policy(config) -> Retry:
    """429 and 5xx are retried with exponential backoff, honouring Retry-After up to a bound.

    POST is included because HubSpot's search and batch-read are POSTs; a 429 was never
    processed, and callers of writes make them idempotent (pipeline found by label, sync by ids).
    """
    return Retry(total=config["HUBSPOT_RETRY_ATTEMPTS"], connect=config["HUBSPOT_RETRY_ATTEMPTS"], read=0,
                 status_forcelist=RETRYABLE_STATUSES, allowed_methods=None, respect_retry_after_header=True,
                 backoff_factor=config["HUBSPOT_RETRY_BACKOFF_MS"] / 1000,
                 backoff_max=config["HUBSPOT_RETRY_MAX_DELAY_MS"] / 1000,
                 retry_after_max=config["HUBSPOT_RETRY_MAX_DELAY_MS"] / 1000, raise_on_status=False)


def sdk_client(access_token: str | None = None, config=None) -> HubSpot:
    """An unmodified ``hubspot-api-client`` pointed at ``HUBSPOT_API_BASE`` with our retries and timeout."""
    config = config or current_app.config
    timeout = Timeout(connect=5, read=config["HUBSPOT_TIMEOUT_SECONDS"])

    def api_factory(api_client_package, api_name, sdk_config):
        from hubspot.discovery.discovery_base import DiscoveryBase

        api = DiscoveryBase._default_api_factory(api_client_package, api_name, sdk_config)
        # The SDK sets no timeout; a hung HubSpot must not hang a request or a worker.
        api.api_client.rest_client.pool_manager.connection_pool_kw["timeout"] = timeout
        return api

    return HubSpot(access_token=access_token, host=config["HUBSPOT_API_BASE"].rstrip("/"),
                   retry=retry_policy(config), api_factory=api_factory)


# --- OAuth state -------------------------------------------------------------------------------

def _state_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["JWT_SECRET"], salt=STATE_SALT)


def authorization_url(partner: Partner, user: User) -> str:
    """HubSpot's consent URL with a signed, single-use state valid 10 minutes."""
    config = current_app.config
    if not config["HUBSPOT_CLIENT_ID"]:
        raise NotConnected("HubSpot is not configured on this platform (HUBSPOT_CLIENT_ID is empty).",
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
        connection = connect_partner(partner, code, actor=f"user:{oauth_state.user_id}")
    except AuthorizationRejected as rejected:
        log.info("hubspot authorization rejected reason=%s", rejected.reason)
        return callback_redirect("error", rejected.reason)
    extra = {}
    try:
        ensure_pipeline(connection.partner)
    except HubSpotError:
        extra["pipeline"] = "failed"  # connected all the same; the UI offers create-pipeline again
    return callback_redirect("success", **extra)


# --- tokens ------------------------------------------------------------------------------------

def _sealed_tokens(connection_id: str, access: str, refresh: str) -> dict:
    box = secret_box()
    return {"access_token_enc": box.encrypt(access, context=f"hubspot_connections:{connection_id}:access_token"),
            "refresh_token_enc": box.encrypt(refresh, context=f"hubspot_connections:{connection_id}:refresh_token")}


def access_token_of(connection: HubSpotConnection) -> str:
    return secret_box().decrypt(connection.access_token_enc, context=connection.token_context("access_token"))


def refresh_token_of(connection: HubSpotConnection) -> str:
    return secret_box().decrypt(connection.refresh_token_enc, context=connection.token_context("refresh_token"))


def _expiry_fields(expires_in: int) -> dict:
    return {"expires_at": utcnow() + dt.timedelta(seconds=int(expires_in))}


def connect_partner(partner: Partner, code: str, actor: str) -> HubSpotConnection:
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
        _upstream_failure(exc, "exchanging the authorization code")
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


def seconds_left(connection: HubSpotConnection) -> float:
    if connection.expires_at is None:
        return 0.0
    return (as_utc(connection.expires_at) - utcnow()).total_seconds()


def refresh_connection(connection_id: str, *, min_remaining: int = REFRESH_MARGIN_SECONDS,
                       replacing: str | None = None) -> HubSpotConnection:
    """Refresh the access token under a per-connection Redis lock, storing the rotated refresh token.

    Whoever waited for the lock re-reads the connection and skips the refresh when another
    worker already did it. ``replacing`` forces a refresh if that sealed access token is still
    the stored one (HubSpot refused it early).
    """
    config = current_app.config
    lock = get_redis().lock(REFRESH_LOCK_KEY + str(connection_id), timeout=60,
                            blocking_timeout=config["HUBSPOT_REFRESH_LOCK_WAIT_SECONDS"])
    if not lock.acquire():
        raise HubSpotUnavailable("Another token refresh for this connection is still running.")
    try:
        connection = HubSpotConnection.objects(id=connection_id).first()
        if connection is None or connection.status != "healthy" or not connection.refresh_token_enc:
            raise NotConnected("HubSpot is not connected for this partner.", "not_connected")
        forced = replacing is not None and replacing == connection.access_token_enc
        if not forced and seconds_left(connection) > min_remaining:
            return connection
        try:
            refresh_token = refresh_token_of(connection)
        except DecryptionError:
            mark_refresh_failed(connection.id, "the stored refresh token cannot be decrypted with any configured key")
            raise NotConnected("The stored HubSpot token is unreadable; reconnect HubSpot.", "refresh_failed") \
                from None
        try:
            tokens = sdk_client().oauth.tokens_api.create(
                grant_type="refresh_token", refresh_token=refresh_token,
                client_id=config["HUBSPOT_CLIENT_ID"], client_secret=config["HUBSPOT_CLIENT_SECRET"])
        except Exception as exc:
            if is_invalid_grant(exc):
                mark_refresh_failed(connection.id, "HubSpot no longer accepts the refresh token (invalid_grant)")
                raise NotConnected("HubSpot revoked the connection; reconnect it.", "refresh_failed") from None
            failure = _upstream_failure(exc, "refreshing the access token")
            failures = HubSpotConnection.objects(id=connection.id).modify(new=True, inc__refresh_failures=1)
            if failures is not None and failures.refresh_failures >= MAX_REFRESH_FAILURES:
                mark_refresh_failed(connection.id, f"token refresh failed {failures.refresh_failures} times")
            raise failure from None
        now = utcnow()
        fields = {**_sealed_tokens(connection.id, tokens.access_token, tokens.refresh_token),
                  **_expiry_fields(tokens.expires_in), "last_refreshed_at": now, "refresh_failures": 0,
                  "updated_at": now}
        HubSpotConnection.objects(id=connection.id, status="healthy").update_one(
            **{f"set__{k}": v for k, v in fields.items()})
        return HubSpotConnection.objects(id=connection.id).get()
    finally:
        try:
            lock.release()
        except Exception:  # expired meanwhile; nothing to release
            pass


def mark_refresh_failed(connection_id: str, reason: str) -> bool:
    """healthy → refresh_failed once: the event and the owner's e-mail go out on that move only."""
    connection = HubSpotConnection.objects(id=connection_id, status="healthy").modify(
        new=True, set__status="refresh_failed", set__status_reason=reason[:200], set__updated_at=utcnow())
    if connection is None:
        return False
    log.warning("hubspot connection %s marked refresh_failed: %s", connection_id, reason)
    emit("hubspot.connection_failed", partner_ids=[connection.partner], actor="system",
         payload={"partnerId": connection.partner, "hubId": connection.hub_id, "reason": reason})
    partner = Partner.objects(id=connection.partner).first()
    for owner in User.objects(partner=connection.partner, is_partner_owner=True, is_active=True):
        send_mail(owner.email, "plugins.hubspot", "connection_failed",
                  {"name": owner.name, "partner_name": partner.name if partner else "your company",
                   "reason": reason})
    return True


def refresh_expiring_connections(within_seconds: int = REFRESH_AHEAD_SECONDS) -> list[str]:
    """Queue one refresh job per healthy connection whose token expires within the window."""
    from .jobs import refresh_connection_job

    horizon = utcnow() + dt.timedelta(seconds=within_seconds)
    ids = [c.id for c in HubSpotConnection.objects(status="healthy", expires_at__lt=horizon).only("id")]
    for connection_id in ids:
        enqueue(refresh_connection_job, connection_id, job_id=f"hubspot-refresh-{connection_id}")
    return ids


class HubSpotClientFactory:
    """Hands out SDK clients with a valid access token for a partner's portal.

    ``client_for`` refreshes first when under 5 minutes remain; ``call`` also recovers once from
    a 401 (a token HubSpot dropped early) by refreshing and calling again.
    """

    def connection_for(self, partner_id: str) -> HubSpotConnection:
        connection = HubSpotConnection.objects(partner=str(partner_id)).first()
        if connection is None or connection.status != "healthy" or not connection.access_token_enc:
            raise NotConnected("HubSpot is not connected for this partner.", "not_connected")
        if seconds_left(connection) < REFRESH_MARGIN_SECONDS:
            connection = refresh_connection(connection.id)
        return connection

    def client_for(self, partner_id: str) -> HubSpot:
        return sdk_client(access_token_of(self.connection_for(partner_id)))

    def call(self, partner_id: str, operation):
        """``operation(client)`` with a fresh token; a 401 triggers one refresh and one more try."""
        connection = self.connection_for(partner_id)
        try:
            return operation(sdk_client(access_token_of(connection)))
        except Exception as exc:
            if api_status(exc) != 401:
                raise
        connection = refresh_connection(connection.id, replacing=connection.access_token_enc)
        return operation(sdk_client(access_token_of(connection)))


# --- status, pipeline, stage mapping, disconnect -------------------------------------------------

def connection_status(partner_id: str) -> dict:
    connection = HubSpotConnection.objects(partner=str(partner_id)).first()
    if connection is None:
        return {"connected": False, "status": None, "hubId": None, "scopes": [], "pipelineId": None,
                "stageMapping": {}, "expiresAt": None, "lastRefreshedAt": None, "lastSyncedAt": None}
    connected = connection.status == "healthy" and connection.hub_id is not None
    return {"connected": connected, "status": connection.status, "hubId": connection.hub_id,
            "scopes": list(connection.scopes), "pipelineId": connection.pipeline_id,
            "stageMapping": dict(connection.stage_mapping or {}),
            "expiresAt": connection.expires_at if connected else None,
            "lastRefreshedAt": connection.last_refreshed_at, "lastSyncedAt": connection.last_synced_at}


def _pipeline_input():
    from hubspot.crm.pipelines import PipelineInput, PipelineStageInput

    return PipelineInput(label=PIPELINE_LABEL, display_order=99, stages=[
        PipelineStageInput(label=label, display_order=i, metadata=dict(metadata))
        for i, (label, metadata, _statuses) in enumerate(PIPELINE_STAGES)])


def _mapping_from_stages(stages) -> dict:
    by_label = {s.label.strip().lower(): s.id for s in stages if not getattr(s, "archived", False)}
    mapping, missing = {}, []
    for label, _metadata, statuses in PIPELINE_STAGES:
        stage_id = by_label.get(label.lower())
        if stage_id is None:
            missing.append(label)
        for status in statuses:
            mapping[status] = stage_id
    if missing:
        raise PipelineSetupFailed(f"The \u201c{PIPELINE_LABEL}\u201d pipeline in HubSpot lacks the stages "
                                  f"{', '.join(missing)}.", "pipeline_incomplete")
    return mapping


def _find_pipeline(client):
    for pipeline in client.crm.pipelines.pipelines_api.get_all("deals").results:
        if pipeline.label.strip().lower() == PIPELINE_LABEL.lower() and not pipeline.archived:
            return pipeline
    return None


def ensure_pipeline(partner_id: str) -> dict:
    """Find the "Partner Connector" deal pipeline by label or create it; store the stage mapping.

    Idempotent: a second call (or a concurrent one whose create HubSpot refuses as a duplicate)
    finds the existing pipeline instead of adding another.
    """
    def find_or_create(client):
        pipeline = _find_pipeline(client)
        if pipeline is not None:
            return pipeline, False
        try:
            return client.crm.pipelines.pipelines_api.create("deals", _pipeline_input()), True
        except Exception as exc:
            if api_status(exc) not in (400, 409):
                raise
            pipeline = _find_pipeline(client)
            if pipeline is None:
                raise
            return pipeline, False

    factory = HubSpotClientFactory()
    try:
        pipeline, created = factory.call(partner_id, find_or_create)
    except HubSpotError as exc:
        if isinstance(exc, NotConnected):
            raise
        raise PipelineSetupFailed(exc.message, "pipeline_failed") from None
    except Exception as exc:
        failure = _upstream_failure(exc, "creating the deal pipeline")
        raise PipelineSetupFailed(failure.message, "pipeline_failed") from None
    mapping = _mapping_from_stages(pipeline.stages)
    HubSpotConnection.objects(partner=str(partner_id)).update_one(
        set__pipeline_id=str(pipeline.id), set__stage_mapping=mapping, set__updated_at=utcnow())
    return {"pipelineId": str(pipeline.id), "stageMapping": mapping, "created": created}


class MappingInvalid(HubSpotError):
    """The stage mapping names statuses or stages that do not exist; ``errors`` says which."""

    def __init__(self, errors: dict):
        super().__init__("The stage mapping is invalid.", "mapping_invalid")
        self.errors = errors


def set_stage_mapping(partner_id: str, pipeline_id: str | None, mapping: dict) -> dict:
    """Map every dealStatus to a stage of an existing pipeline (the current one unless named)."""
    errors: dict = {}
    unknown = sorted(set(mapping) - set(DEAL_STATUSES))
    if unknown:
        errors["stageMapping"] = [f"Unknown dealStatus: {', '.join(unknown)}."]
    missing = [s for s in DEAL_STATUSES if s not in mapping]
    if missing:
        errors.setdefault("stageMapping", []).append(f"Every dealStatus needs a stage; missing: {', '.join(missing)}.")
    if errors:
        raise MappingInvalid(errors)
    connection = HubSpotConnection.objects(partner=str(partner_id)).first()
    pipeline_id = pipeline_id or (connection.pipeline_id if connection else None)
    if not pipeline_id:
        raise NotConnected("There is no pipeline yet: create it first or name an existing one.", "no_pipeline")
    try:
        pipeline = HubSpotClientFactory().call(
            partner_id, lambda client: client.crm.pipelines.pipelines_api.get_by_id("deals", pipeline_id))
    except HubSpotError:
        raise
    except Exception as exc:
        if api_status(exc) == 404:
            raise MappingInvalid({"pipelineId": [f"HubSpot has no deal pipeline {pipeline_id}."]}) from None
        raise _upstream_failure(exc, "reading the deal pipeline") from None
    stage_ids = {s.id for s in pipeline.stages}
    wrong = sorted({str(v) for v in mapping.values()} - stage_ids)
    if wrong:
        raise MappingInvalid({"stageMapping": [f"Not stages of pipeline {pipeline_id}: {', '.join(wrong)}."]})
    clean = {status: str(mapping[status]) for status in DEAL_STATUSES}
    HubSpotConnection.objects(partner=str(partner_id)).update_one(
        set__pipeline_id=str(pipeline_id), set__stage_mapping=clean, set__updated_at=utcnow())
    return {"pipelineId": str(pipeline_id), "stageMapping": clean}


def disconnect(partner_id: str, actor: str) -> dict:
    """Revoke the refresh token at HubSpot (best effort), erase the tokens, free the portal."""
    connection = HubSpotConnection.objects(partner=str(partner_id)).first()
    if connection is None or connection.status == "disconnected":
        raise NotConnected("HubSpot is not connected for this partner.", "not_connected")
    revoked = False
    if connection.refresh_token_enc:
        try:
            sdk_client().oauth.refresh_tokens_api.archive(refresh_token_of(connection))
            revoked = True
        except DecryptionError:
            log.error("hubspot connection %s: refresh token cannot be decrypted; erasing it", connection.id)
        except Exception as exc:
            # HubSpot already forgot it (404) or failed: the tokens are erased here all the same,
            # so nothing of ours can use them again.
            if api_status(exc) == 404:
                revoked = True
            else:
                _upstream_failure(exc, "revoking the refresh token")
    HubSpotConnection.objects(id=connection.id).update_one(
        set__status="disconnected", unset__access_token_enc=True, unset__refresh_token_enc=True,
        unset__hub_id=True, unset__expires_at=True, set__disconnected_at=utcnow(),
        set__updated_at=utcnow(), set__refresh_failures=0)
    emit("hubspot.disconnected", partner_ids=[partner_id], actor=actor,
         payload={"partnerId": str(partner_id), "hubId": connection.hub_id, "revokedAtHubSpot": revoked})
    return {"revokedAtHubSpot": revoked, **connection_status(partner_id)}


def hubspot_connected_step(partner) -> tuple[str, bool]:
    healthy = HubSpotConnection.objects(partner=str(partner.id), status="healthy").count() > 0
    return "hubspotConnected", healthy


# --- inbound webhooks --------------------------------------------------------------------------

class WebhookRejected(HubSpotError):
    """The webhook's signature or timestamp does not hold."""


def webhook_signature(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """HubSpot's v3 signature: base64 HMAC-SHA256 over method + URI + body + timestamp."""
    message = method.encode() + uri.encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def verify_webhook(method: str, uri: str, body: bytes, timestamp: str | None, signature: str | None) -> None:
    config = current_app.config
    secret = config["HUBSPOT_APP_SECRET"] or config["HUBSPOT_CLIENT_SECRET"]
    if not secret:
        raise WebhookRejected("No HubSpot app secret is configured.", "not_configured")
    if not timestamp or not signature or not timestamp.isdigit():
        raise WebhookRejected("The HubSpot signature headers are missing.", "signature_missing")
    if abs(time.time() * 1000 - int(timestamp)) > WEBHOOK_MAX_AGE_MS:
        raise WebhookRejected("The webhook timestamp is older than 5 minutes.", "timestamp_stale")
    expected = webhook_signature(secret, method, uri, body, timestamp)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise WebhookRejected("The webhook signature does not match.", "signature_invalid")


def accept_webhook_events(events: list) -> dict:
    """Keep each event id once (Redis SET NX), then hand new events to listeners per portal."""
    redis = get_redis()
    fresh_by_portal: dict[int, list] = {}
    duplicates = 0
    for event in events:
        event_id = event.get("eventId") if isinstance(event, dict) else None
        if event_id is None:
            continue
        if not redis.set(f"{WEBHOOK_EVENT_KEY}{event_id}", "1", nx=True, ex=WEBHOOK_EVENT_TTL):
            duplicates += 1
            continue
        fresh_by_portal.setdefault(event.get("portalId"), []).append(event)
    portals = [p for p in fresh_by_portal if isinstance(p, int)]
    partners = {c.hub_id: c.partner for c in HubSpotConnection.objects(hub_id__in=portals).only("hub_id", "partner")}
    accepted = 0
    for portal_id, portal_events in fresh_by_portal.items():
        partner_id = partners.get(portal_id)
        if partner_id is None:
            log.info("hubspot webhook: %d event(s) for unconnected portal %s ignored", len(portal_events), portal_id)
            continue
        accepted += len(portal_events)
        emit("hubspot.webhook_received", partner_ids=[partner_id], actor="hubspot",
             payload={"partnerId": partner_id, "portalId": portal_id, "events": portal_events})
    return {"received": len(events), "accepted": accepted, "duplicates": duplicates}


# --- key rotation ------------------------------------------------------------------------------

def rotate_token_keys(config=None) -> dict:
    """Re-seal every stored token with the current ``ENCRYPTION_KEY``.

    Each write is conditional on the old ciphertext, so a refresh racing with the rotation wins
    and is never overwritten with a stale token.
    """
    box = box_from_config(config or current_app.config)
    counts = {"rotated": 0, "current": 0, "failed": 0}
    for connection in HubSpotConnection.objects.only("id", "access_token_enc", "refresh_token_enc"):
        for field in ("access_token_enc", "refresh_token_enc"):
            sealed = getattr(connection, field)
            if not sealed:
                continue
            if not box.needs_rotation(sealed):
                counts["current"] += 1
                continue
            try:
                resealed = box.reseal(sealed, context=connection.token_context(field.removesuffix("_enc")))
            except DecryptionError:
                log.error("hubspot connection %s: %s cannot be decrypted with any configured key",
                          connection.id, field)
                counts["failed"] += 1
                continue
            done = HubSpotConnection.objects(id=connection.id, **{field: sealed}).update_one(
                **{f"set__{field}": resealed})
            counts["rotated" if done else "current"] += 1
    return counts
