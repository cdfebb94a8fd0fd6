"""The activity plugin's one durable subscriber: every event, at least once, fanned out in the delivery job."""
from __future__ import annotations

import logging

from .services import fanout

log = logging.getLogger("plugins.activity")


def fan_out(event) -> None:
    counts = fanout.fan_out(event)
    log.info("activity fan-out of %s id=%s: %s", event.name, event.id, counts)
