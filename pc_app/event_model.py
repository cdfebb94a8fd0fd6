"""What an event is: its declared type, one occurrence, a subscription, and the catalog of types.

Plain data with no knowledge of delivery; ``pc_app.events`` emits and dispatches them and
``pc_app.event_delivery`` stores them for durable subscribers.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from .actors import Actor
from .db import iso_utc, new_id, utcnow

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
    actor: Actor | None = None  # an Actor (a str: user:<id>, system, hubspot or stripe)
    payload: dict = field(default_factory=dict)
    id: str = field(default_factory=new_id)
    occurred_at: dt.datetime = field(default_factory=utcnow)

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "partnerIds": list(self.partner_ids), "actor": self.actor,
                "payload": self.payload, "occurredAt": iso_utc(self.occurred_at)}


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
