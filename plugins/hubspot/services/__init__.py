"""The HubSpot plugin's decisions, re-exported for its routes, jobs, hooks and the plugins that require it.

Modules by concern: ``oauth`` (connecting), ``connection`` (status, disconnect, onboarding
step), ``pipeline`` (the deal pipeline and stage mapping), ``tokens`` (encrypted tokens and
refresh), ``client_factory`` (an SDK client per partner, refreshed as needed), ``webhooks``
(HubSpot's signed deliveries), ``rate_limit`` (the per-portal token bucket every call waits for),
``key_rotation``, ``errors``.
"""
from .client_factory import HubSpotClientFactory
from .connection import connected_partner_ids, connection_status, disconnect, hubspot_connected_step, mark_synced
from .errors import HubSpotError, HubSpotNotConfigured, HubSpotUnavailable, NotConnected, api_status, upstream_failure
from .key_rotation import SEALED_TOKENS
from .oauth import authorization_url, callback_redirect, complete_authorization
from .pipeline import MANUAL_STEPS, MappingInvalid, PipelineSetupFailed, ensure_pipeline, set_stage_mapping
from .tokens import (REFRESH_AHEAD_SECONDS, access_token_of, expiring_connection_ids, refresh_connection,
                     refresh_token_of)
from .webhooks import WebhookRejected, accept_webhook_events, verify_webhook

__all__ = [
    "HubSpotClientFactory", "HubSpotError", "HubSpotNotConfigured", "HubSpotUnavailable", "MANUAL_STEPS",
    "MappingInvalid", "NotConnected", "PipelineSetupFailed", "REFRESH_AHEAD_SECONDS", "WebhookRejected",
    "accept_webhook_events", "access_token_of", "authorization_url", "callback_redirect", "complete_authorization",
    "connection_status", "disconnect", "ensure_pipeline", "expiring_connection_ids", "hubspot_connected_step",
    "api_status", "connected_partner_ids", "mark_synced", "upstream_failure",
    "SEALED_TOKENS", "refresh_connection", "refresh_token_of", "set_stage_mapping", "verify_webhook",
]
