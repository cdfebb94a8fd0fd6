"""Domain events: the catalog plugins declare, ``emit``, and the subscribers that hear them.

Every event is declared (``pc_register_events``) with its payload fields and who it
concerns; ``emit`` refuses an undeclared name or field, so the catalog — and
``docs/events.md``, generated from it — is always the truth. Subscribers
(``pc_register_subscriptions``) name the events they want, by name or prefix:

- **in-request** subscribers run inside ``emit``, for cheap bookkeeping that must be visible
  at once; one that raises is logged with the event id and harms nobody;
- **durable** subscribers get every event at least once: ``emit`` stores the event with one
  pending delivery per durable subscriber, and a job delivers it, retried with backoff; a
  sweeper re-queues whatever a crashed worker left (``pc_app.event_delivery``). Handlers
  receive the event id, so they make themselves idempotent with it.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field

from flask import current_app

from .db import new_id

log = logging.getLogger("pc_app.events")

_NAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
_SUBSCRIPTION_ID = re.compile(r"^[a-z][a-z0-9_.]*$")


class EventError(ValueError):
    """A programming error: an undeclared event, an unknown payload field, a clashing declaration."""


@dataclass(frozen=True)
class EventType:
    """One kind of event a plugin emits.

    :param name: ``<plugin>.<past_tense>``, e.g. ``marketplace.lead_listed``.
    :param description: one sentence on what happened.
    :param payload: every payload field with a short description; all are required unless
        listed in ``optional``.
    :param concerns: who ``partner_ids`` names (they get the activity, mail and webhook).
    :param optional: payload fields that may be absent.
    """
    name: str
    description: str
    payload: dict = field(default_factory=dict)
    concerns: str = "the partner it happened to"
    optional: tuple = ()

    def check_payload(self, payload: dict) -> None:
        unknown = sorted(set(payload) - set(self.payload))
        if unknown:
            raise EventError(f"Event {self.name} has no payload field(s) {', '.join(unknown)}; "
                             f"declare them in the catalog.")
        missing = sorted(set(self.payload) - set(self.optional) - set(payload))
        if missing:
            raise EventError(f"Event {self.name} was emitted without {', '.join(missing)}.")


@dataclass(frozen=True)
class Subscription:
    """A subscriber: which events (names, ``prefix.*`` or ``*``) and the handler that hears them.

    :param id: stable and unique (``<plugin>.<purpose>``); durable deliveries are keyed by it.
    :param handler: a function ``handler(event)`` or its dotted path (durable handlers must be
        importable by the worker, so give a path). The app context is already pushed.
    :param durable: at least once, from a job, retried; else in-request, best effort.
    :param max_attempts: durable only: after this many failures the delivery is dead (logged).
    """
    id: str
    events: tuple
    handler: object
    durable: bool = False
    max_attempts: int = 8

    def __post_init__(self):
        if isinstance(self.events, str):
            object.__setattr__(self, "events", (self.events,))
        if not _SUBSCRIPTION_ID.match(self.id):
            raise EventError(f"Subscription id {self.id!r} must be lower-case letters, digits, '_' and '.'.")
        if self.durable and not isinstance(self.handler, str):
            raise EventError(f"Durable subscription {self.id} must name its handler by dotted path.")

    def matches(self, name: str) -> bool:
        for pattern in self.events:
            if pattern == "*" or pattern == name or (pattern.endswith(".*") and name.startswith(pattern[:-1])):
                return True
        return False

    def resolve(self):
        if callable(self.handler):
            return self.handler
        from .jobs import import_path
        return import_path(self.handler)


@dataclass(frozen=True)
class Event:
    """Something that happened: ``<plugin>.<past_tense>``, for whom, by whom, with what."""
    name: str
    partner_ids: tuple = ()
    actor: str | None = None
    payload: dict = field(default_factory=dict)
    id: str = field(default_factory=new_id)
    occurred_at: dt.datetime = field(default_factory=lambda: _now())

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "partnerIds": list(self.partner_ids), "actor": self.actor,
                "payload": self.payload, "occurredAt": self.occurred_at.isoformat()}


def _now() -> dt.datetime:
    now = dt.datetime.now(dt.timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class EventCatalog:
    """Every declared event type by name, with the plugin that declared it."""

    def __init__(self):
        self.types: dict[str, EventType] = {}
        self.owners: dict[str, str] = {}

    def add(self, owner: str, event_type: EventType) -> None:
        if not _NAME.match(event_type.name):
            raise EventError(f"Event name {event_type.name!r} (declared by {owner}) must read '<plugin>.<past_tense>'.")
        if event_type.name in self.types:
            raise EventError(f"Event {event_type.name} is declared by both {self.owners[event_type.name]} and {owner}.")
        self.types[event_type.name] = event_type
        self.owners[event_type.name] = owner

    def get(self, name: str) -> EventType:
        try:
            return self.types[name]
        except KeyError:
            raise EventError(f"Event {name} is not declared; add it to the emitting plugin's "
                             f"pc_register_events.") from None

    def __iter__(self):
        return iter(sorted(self.types.values(), key=lambda t: t.name))

    def __contains__(self, name: str) -> bool:
        return name in self.types


def build_event_registry(app) -> None:
    """Collect the core's and the plugins' events and subscriptions into ``app.extensions``."""
    from .core.event_types import CORE_EVENTS
    from .plugins import call_hook

    pm = app.extensions["pc_plugin_manager"]
    catalog = EventCatalog()
    for event_type in CORE_EVENTS:
        catalog.add("core", event_type)
    for plugin_name, declared in call_hook(pm, "pc_register_events"):
        for event_type in declared or []:
            catalog.add(plugin_name, event_type)
    subscriptions: list[Subscription] = []
    owners: dict[str, str] = {}
    for plugin_name, declared in call_hook(pm, "pc_register_subscriptions"):
        for sub in declared or []:
            if sub.id in owners:
                raise EventError(f"Subscription id {sub.id} is declared by both {owners[sub.id]} and {plugin_name}.")
            owners[sub.id] = plugin_name
            subscriptions.append(sub)
    app.extensions["pc_events"] = catalog
    app.extensions["pc_subscriptions"] = subscriptions
    app.extensions["pc_subscription_owners"] = owners


def catalog(app=None) -> EventCatalog:
    return (app or current_app).extensions["pc_events"]


def subscribers(name: str, *, durable: bool, app=None) -> list[Subscription]:
    """The subscriptions that hear ``name``, in plugin order (dependencies first)."""
    return [sub for sub in (app or current_app).extensions["pc_subscriptions"]
            if sub.durable == durable and sub.matches(name)]


def emit(name: str, *, partner_ids=(), actor=None, payload: dict | None = None, app=None) -> Event:
    """Record that something happened and hand it to its subscribers.

    :param name: a declared event name; an undeclared name or payload field raises ``EventError``.
    :param partner_ids: the partners concerned (empty or None ids are dropped).
    :param actor: who did it: a ``pc_app.actors.Actor``, a ``User`` or the actor string.
    :raises EventError: the event or a payload field is not in the catalog.
    """
    from .actors import actor_string

    app = app or current_app._get_current_object()
    payload = dict(payload or {})
    catalog(app).get(name).check_payload(payload)
    event = Event(name=name, partner_ids=tuple(dict.fromkeys(str(p) for p in partner_ids or () if p)),
                  actor=actor_string(actor), payload=payload)
    durable = subscribers(name, durable=True, app=app)
    if durable:
        from .event_delivery import store_and_queue

        store_and_queue(event, durable)
    for sub in subscribers(name, durable=False, app=app):
        try:
            sub.resolve()(event)
        except Exception:
            log.exception("subscriber %s (plugin %s) failed on event %s id=%s", sub.id,
                          app.extensions["pc_subscription_owners"].get(sub.id), event.name, event.id)
    return event


def events_markdown(app) -> str:
    """``docs/events.md``, written from the catalog of an app with every plugin enabled."""
    owners = app.extensions["pc_subscription_owners"]
    lines = ["# Events", "",
             "Generated from the event catalog by `pc-app events --markdown`; "
             "`tests/test_events_documented.py` fails when this page and the catalog differ.", "",
             "Every event has an `id` (24 hex), a `name`, `partnerIds` (who it concerns), an `actor` "
             "(`user:<id>`, `system`, `hubspot`, `stripe`), `occurredAt` and the `payload` below.", ""]
    by_owner: dict[str, list[EventType]] = {}
    for event_type in catalog(app):
        by_owner.setdefault(catalog(app).owners[event_type.name], []).append(event_type)
    for owner in sorted(by_owner, key=lambda o: (o != "core", o)):
        lines += [f"## {owner}", ""]
        for event_type in by_owner[owner]:
            heard_by = [sub.id + (" (durable)" if sub.durable else "") for sub in app.extensions["pc_subscriptions"]
                        if sub.matches(event_type.name) and owners.get(sub.id) != "event_recorder"]
            lines += [f"### `{event_type.name}`", "", event_type.description, "",
                      f"- **Concerns:** {event_type.concerns}"]
            if heard_by:
                lines.append(f"- **Heard by:** {', '.join(heard_by)}")
            if event_type.payload:
                lines.append("- **Payload:**")
                for key, text in event_type.payload.items():
                    optional = " *(optional)*" if key in event_type.optional else ""
                    lines.append(f"  - `{key}`{optional}: {text}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
