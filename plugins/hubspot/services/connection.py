"""A partner's HubSpot connection as the API shows it, the onboarding step, and disconnecting."""
from __future__ import annotations

import logging

from pc_app.toolkit import Actor, DecryptionError, OnboardingStep, emit, utcnow

from ..models import HubSpotConnection
from .client import sdk_client
from .errors import NotConnected, api_status, upstream_failure
from .tokens import refresh_token_of

log = logging.getLogger("plugins.hubspot")


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


def disconnect(partner_id: str, actor: Actor) -> dict:
    """Revoke the refresh token at HubSpot (best effort), erase the tokens, free the portal."""
    connection = HubSpotConnection.objects(partner=str(partner_id)).first()
    if connection is None or connection.status == "disconnected":
        raise NotConnected("HubSpot is not connected for this partner.", "not_connected")
    revoked = False
    if connection.refresh_token_enc:
        try:
            sdk_client(portal=connection.hub_id).oauth.refresh_tokens_api.archive(refresh_token_of(connection))
            revoked = True
        except DecryptionError:
            log.error("hubspot connection %s: refresh token cannot be decrypted; erasing it", connection.id)
        except Exception as exc:
            # HubSpot already forgot it (404) or failed: the tokens are erased here all the same,
            # so nothing of ours can use them again.
            if api_status(exc) == 404:
                revoked = True
            else:
                upstream_failure(exc, "revoking the refresh token")
    HubSpotConnection.objects(id=connection.id).update_one(
        set__status="disconnected", unset__access_token_enc=True, unset__refresh_token_enc=True,
        unset__hub_id=True, unset__expires_at=True, set__disconnected_at=utcnow(),
        set__updated_at=utcnow(), set__refresh_failures=0)
    emit("hubspot.disconnected", partner_ids=[partner_id], actor=actor,
         payload={"partnerId": str(partner_id), "hubId": connection.hub_id, "revokedAtHubSpot": revoked})
    return {"revokedAtHubSpot": revoked, **connection_status(partner_id)}


def connected_partner_ids() -> list[str]:
    """The partners whose HubSpot connection is healthy (what the periodic sync visits)."""
    return [c.partner for c in HubSpotConnection.objects(status="healthy").only("partner")]


def mark_synced(partner_id: str) -> None:
    """Remember when the partner's leads and deals were last in step (``lastSyncedAt`` of the status)."""
    HubSpotConnection.objects(partner=str(partner_id)).update_one(set__last_synced_at=utcnow())


def hubspot_connected_step(partner):
    """The ``hubspotConnected`` onboarding step (position 20): a healthy connection exists."""
    healthy = HubSpotConnection.objects(partner=str(partner.id), status="healthy").only("id").first() is not None
    return OnboardingStep("hubspotConnected", healthy, position=20)
