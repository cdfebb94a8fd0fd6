"""Background jobs of the HubSpot plugin: the periodic token refresh sweep and one refresh per connection."""
from __future__ import annotations

import logging

from . import services

log = logging.getLogger("plugins.hubspot.jobs")


def refresh_expiring_tokens() -> int:
    """Periodic (5 min): queue a refresh for every healthy connection expiring within 10 minutes."""
    return len(services.refresh_expiring_connections())


def refresh_connection_job(connection_id: str) -> str:
    """Refresh one connection's token unless another worker already did; failures are recorded, not raised."""
    try:
        connection = services.refresh_connection(connection_id, min_remaining=services.REFRESH_AHEAD_SECONDS)
    except services.HubSpotError as failure:
        log.warning("hubspot refresh of connection %s failed: %s", connection_id, failure.reason)
        return failure.reason
    return connection.status
