"""Deals HubSpot's webhooks named, waiting in Redis for a targeted pull of just those deals."""
from __future__ import annotations

from pc_app.toolkit import get_redis

PENDING_KEY = "pc:sync:webhook-deals:"


def add_pending_deals(partner_id: str, deal_ids) -> int:
    ids = [str(i) for i in deal_ids if str(i).isdigit()]
    if not ids:
        return 0
    return get_redis().sadd(f"{PENDING_KEY}{partner_id}", *ids)


def pop_pending_deals(partner_id: str, count: int) -> list[str]:
    """Up to ``count`` deal ids, taken out of the set (the task keeps them in its checkpoint)."""
    popped = get_redis().spop(f"{PENDING_KEY}{partner_id}", count) or []
    return sorted((p.decode() if isinstance(p, bytes) else str(p)) for p in popped)


def has_pending_deals(partner_id: str) -> bool:
    return bool(get_redis().scard(f"{PENDING_KEY}{partner_id}"))
