"""The unmodified HubSpot SDK client, pointed at our API base with our retry policy and timeout."""
from __future__ import annotations

from flask import current_app
from hubspot import HubSpot
from urllib3 import Timeout
from urllib3.util.retry import Retry

from pc_app.toolkit import count_upstream_call, upstream_outcome

RETRYABLE_STATUSES = (429, 500, 502, 503, 504)


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


def count_calls(rest_client) -> None:
    """Count every HTTP call the SDK makes (after urllib3's retries) in ``pc_upstream_calls_total``."""
    send = rest_client.request

    def counted_request(*args, **kwargs):
        try:
            response = send(*args, **kwargs)
        except Exception as exc:
            # ApiException carries HubSpot's status; 0 or none at all means HubSpot never answered.
            count_upstream_call("hubspot", upstream_outcome(getattr(exc, "status", None) or None))
            raise
        count_upstream_call("hubspot", upstream_outcome(response.status))
        return response

    rest_client.request = counted_request


def sdk_client(access_token: str | None = None, config=None) -> HubSpot:
    """An unmodified ``hubspot-api-client`` pointed at ``HUBSPOT_API_BASE`` with our retries and timeout."""
    config = config or current_app.config
    timeout = Timeout(connect=5, read=config["HUBSPOT_TIMEOUT_SECONDS"])

    def api_factory(api_client_package, api_name, sdk_config):
        from hubspot.discovery.discovery_base import DiscoveryBase

        api = DiscoveryBase._default_api_factory(api_client_package, api_name, sdk_config)
        # The SDK sets no timeout; a hung HubSpot must not hang a request or a worker.
        api.api_client.rest_client.pool_manager.connection_pool_kw["timeout"] = timeout
        count_calls(api.api_client.rest_client)
        return api

    return HubSpot(access_token=access_token, host=config["HUBSPOT_API_BASE"].rstrip("/"),
                   retry=retry_policy(config), api_factory=api_factory)
