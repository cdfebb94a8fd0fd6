"""Sealed token storage and refresh: one refresh per connection at a time, failures recorded and mailed."""
from __future__ import annotations

import datetime as dt
import logging

from flask import current_app

from pc_app.toolkit import (SYSTEM, DecryptionError, Partner, User, as_utc, emit, get_redis, secret_box, send_mail, utcnow)

from ..models import HubSpotConnection
from .client import sdk_client
from .errors import HubSpotUnavailable, NotConnected, upstream_failure, is_invalid_grant

log = logging.getLogger("plugins.hubspot")

REFRESH_LOCK_KEY = "pc:hubspot:refresh-lock:"
REFRESH_MARGIN_SECONDS = 5 * 60      # the factory refreshes first when less than this is left
REFRESH_AHEAD_SECONDS = 10 * 60      # the periodic job refreshes what expires within this
MAX_REFRESH_FAILURES = 3


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
            tokens = sdk_client(portal=connection.hub_id).oauth.tokens_api.create(
                grant_type="refresh_token", refresh_token=refresh_token,
                client_id=config["HUBSPOT_CLIENT_ID"], client_secret=config["HUBSPOT_CLIENT_SECRET"])
        except Exception as exc:
            if is_invalid_grant(exc):
                mark_refresh_failed(connection.id, "HubSpot no longer accepts the refresh token (invalid_grant)")
                raise NotConnected("HubSpot revoked the connection; reconnect it.", "refresh_failed") from None
            failure = upstream_failure(exc, "refreshing the access token")
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
    emit("hubspot.connection_failed", partner_ids=[connection.partner], actor=SYSTEM,
         payload={"partnerId": connection.partner, "hubId": connection.hub_id, "reason": reason})
    partner = Partner.objects(id=connection.partner).first()
    for owner in User.objects(partner=connection.partner, is_partner_owner=True, is_active=True):
        send_mail(owner.email, "plugins.hubspot", "connection_failed",
                  {"name": owner.name, "partner_name": partner.name if partner else "your company",
                   "reason": reason})
    return True


def expiring_connection_ids(within_seconds: int = REFRESH_AHEAD_SECONDS) -> list[str]:
    """The healthy connections whose token expires within the window."""
    horizon = utcnow() + dt.timedelta(seconds=within_seconds)
    return [c.id for c in HubSpotConnection.objects(status="healthy", expires_at__lt=horizon).only("id")]
