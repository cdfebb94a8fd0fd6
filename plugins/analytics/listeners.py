"""The analytics plugin's one subscriber: every event that moves a number, durably, into the rollups."""
from __future__ import annotations


def fold_event(event) -> None:
    """Durable subscriber (at least once): fold the event into the daily rollups, exactly once."""
    from .services.folding import fold

    fold(event)
