"""Domain events: one small dataclass and ``emit``, which hands it to every plugin's listener.

Listeners decide and enqueue; one that raises is logged with the event id and never breaks
the request that emitted the event.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field

from flask import current_app

from .plugins import each_impl

log = logging.getLogger("pc_app.events")


@dataclass(frozen=True)
class Event:
    """Something that happened: ``<plugin>.<past_tense>``, for whom, by whom, with what."""
    name: str
    partner_ids: tuple[str, ...] = ()
    actor: str | None = None
    payload: dict = field(default_factory=dict)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    occurred_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "partnerIds": list(self.partner_ids), "actor": self.actor,
                "payload": self.payload, "occurredAt": self.occurred_at.isoformat()}


def emit(name: str, *, partner_ids=(), actor: str | None = None, payload: dict | None = None,
         app=None) -> Event:
    """Build an event and call ``pc_on_event`` on each enabled plugin, isolating failures."""
    app = app or current_app._get_current_object()
    event = Event(name=name, partner_ids=tuple(str(p) for p in partner_ids if p), actor=actor,
                  payload=dict(payload or {}))
    for plugin_name, call in each_impl(app.extensions["pc_plugin_manager"], "pc_on_event"):
        try:
            call(app=app, event=event)
        except Exception:
            log.exception("listener of plugin %s failed on event %s id=%s", plugin_name, event.name, event.id)
    return event
