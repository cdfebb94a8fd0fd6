"""RQ jobs of the activity plugin: one webhook attempt, the retry sweep, the retention purge."""
from __future__ import annotations

from .services import retention, webhook_delivery


def deliver_webhook(delivery_id: str) -> str | None:
    """One attempt of one webhook delivery (``webhooks`` queue)."""
    return webhook_delivery.attempt_delivery(delivery_id)


def sweep_webhook_retries() -> int:
    """Queue due webhook retries whose scheduled job Redis may have lost (every minute)."""
    return webhook_delivery.sweep_due_deliveries()


def purge_expired_activities() -> int:
    """Delete activities past ACTIVITY_RETENTION_DAYS and keep the TTL index in line (hourly)."""
    return retention.purge_expired()
