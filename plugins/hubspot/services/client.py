"""The unmodified HubSpot SDK client, pointed at our API base with our retry policy, timeout and rate limit."""
from __future__ import annotations

from flask import current_app
from hubspot import HubSpot
from urllib3 import Timeout
from urllib3.util.retry import Retry

from pc_app.toolkit import count_upstream_call, upstream_outcome

from .rate_limit import bucket_for, bucketed_pool_classes

RETRYABLE_STATUSES = (429, 500, 502, 503, 504)
UNPROCESSED_STATUSES = (429,)


def retry_policy(config, creates: bool = False) -> Retry:
    """429 and 5xx are retried with exponential backoff, honouring Retry-After up to a bound.

    POST is included because HubSpot's search and batch-read are POSTs; a 429 was never
    processed, and callers of writes make them idempotent (pipeline found by label, sync by ids).
    ``creates``: only what HubSpot surely did not process (429, no connection) is retried, since a
    create has no idempotency key at HubSpot: after a 5xx the caller looks before creating again.
    """
    return Retry(total=config["HUBSPOT_RETRY_ATTEMPTS"], connect=config["HUBSPOT_RETRY_ATTEMPTS"], read=0,
                 status_forcelist=UNPROCESSED_STATUSES if creates else RETRYABLE_STATUSES, allowed_methods=None,
                 respect_retry_after_header=True,
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


def sdk_client(access_token: str | None = None, config=None, *, portal: int | None = None,
               creates: bool = False) -> HubSpot:
    """An unmodified ``hubspot-api-client`` pointed at ``HUBSPOT_API_BASE`` with our retries and timeout.

    :param portal: the hub id the calls count against: every attempt then waits for a token of the
        portal's bucket (``HUBSPOT_RATE_LIMIT``), shared by every worker and pod.
    :param creates: retry only what HubSpot surely did not process (see ``retry_policy``).
    """
    config = config or current_app.config
    timeout = Timeout(connect=5, read=config["HUBSPOT_TIMEOUT_SECONDS"])
    pool_classes = bucketed_pool_classes(bucket_for(portal, config)) if portal is not None else None

    def api_factory(api_client_package, api_name, sdk_config):
        from hubspot.discovery.discovery_base import DiscoveryBase

        api = DiscoveryBase._default_api_factory(api_client_package, api_name, sdk_config)
        # The SDK sets no timeout; a hung HubSpot must not hang a request or a worker.
        pool_manager = api.api_client.rest_client.pool_manager
        pool_manager.connection_pool_kw["timeout"] = timeout
        if pool_classes is not None:
            pool_manager.pool_classes_by_scheme = pool_classes
        count_calls(api.api_client.rest_client)
        return api

    return HubSpot(access_token=access_token, host=config["HUBSPOT_API_BASE"].rstrip("/"),
                   retry=retry_policy(config, creates), api_factory=api_factory)
