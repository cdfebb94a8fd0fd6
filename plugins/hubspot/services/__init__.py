"""The HubSpot plugin's decisions (OAuth, tokens, pipeline, webhooks, key rotation), re-exported for ``services.X`` callers."""
from .client import RETRYABLE_STATUSES, retry_policy, sdk_client
from .client_factory import HubSpotClientFactory
from .errors import (AuthorizationRejected, HubSpotError, HubSpotUnavailable, NotConnected, PipelineSetupFailed,
                     api_status, is_invalid_grant)
from .key_rotation import rotate_token_keys
from .oauth import (STATE_KEY, STATE_SALT, STATE_TTL_SECONDS, OAuthState, authorization_url, callback_redirect,
                    complete_authorization, connect_partner, consume_state)
from .pipeline import (MANUAL_STEPS, PIPELINE_LABEL, PIPELINE_STAGES, MappingInvalid, connection_status, disconnect,
                       ensure_pipeline, hubspot_connected_step, set_stage_mapping)
from .tokens import (MAX_REFRESH_FAILURES, REFRESH_AHEAD_SECONDS, REFRESH_LOCK_KEY, REFRESH_MARGIN_SECONDS,
                     access_token_of, mark_refresh_failed, refresh_connection, expiring_connection_ids,
                     refresh_token_of, seconds_left)
from .webhooks import (WEBHOOK_EVENT_KEY, WEBHOOK_EVENT_TTL, WEBHOOK_MAX_AGE_MS, WebhookRejected,
                       accept_webhook_events, verify_webhook, webhook_signature)

__all__ = [
    "AuthorizationRejected", "HubSpotClientFactory", "HubSpotError", "HubSpotUnavailable", "MANUAL_STEPS",
    "MAX_REFRESH_FAILURES", "MappingInvalid", "NotConnected", "OAuthState", "PIPELINE_LABEL", "PIPELINE_STAGES",
    "PipelineSetupFailed", "REFRESH_AHEAD_SECONDS", "REFRESH_LOCK_KEY", "REFRESH_MARGIN_SECONDS",
    "RETRYABLE_STATUSES", "STATE_KEY", "STATE_SALT", "STATE_TTL_SECONDS", "WEBHOOK_EVENT_KEY", "WEBHOOK_EVENT_TTL",
    "WEBHOOK_MAX_AGE_MS", "WebhookRejected", "accept_webhook_events", "access_token_of", "api_status",
    "authorization_url", "callback_redirect", "complete_authorization", "connect_partner", "connection_status",
    "consume_state", "disconnect", "ensure_pipeline", "hubspot_connected_step", "is_invalid_grant",
    "mark_refresh_failed", "refresh_connection", "expiring_connection_ids", "refresh_token_of", "retry_policy",
    "rotate_token_keys", "sdk_client", "seconds_left", "set_stage_mapping", "verify_webhook", "webhook_signature",
]
