"""Background jobs of the HubSpot plugin: the periodic token refresh sweep and one refresh per connection."""
from __future__ import annotations

import logging

from pc_app.toolkit import enqueue

from . import services

log = logging.getLogger("plugins.hubspot.jobs")


def refresh_expiring_tokens() -> int:
    """Periodic (5 min): queue one refresh per healthy connection expiring within 10 minutes (fan-out)."""
    ids = services.expiring_connection_ids(services.REFRESH_AHEAD_SECONDS)
    for connection_id in ids:
        enqueue(refresh_connection_job, connection_id, job_id=f"hubspot-refresh-{connection_id}")
    return len(ids)


def refresh_connection_job(connection_id: str) -> str:
    """Refresh one connection's token unless another worker already did; failures are recorded, not raised."""
    try:
        connection = services.refresh_connection(connection_id, min_remaining=services.REFRESH_AHEAD_SECONDS)
    except services.HubSpotError as failure:
        log.warning("hubspot refresh of connection %s failed: %s", connection_id, failure.reason)
        return failure.reason
    return connection.status
