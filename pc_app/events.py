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

import logging

from flask import current_app

from .actors import Actor
from .event_delivery import store_and_queue
from .event_model import Event, EventCatalog, EventError, EventType, Subscription

__all__ = ["Event", "EventCatalog", "EventError", "EventType", "Subscription", "build_event_registry", "catalog",
           "emit", "events_markdown", "subscribers"]

log = logging.getLogger("pc_app.events")


def build_event_registry(app, core_events) -> None:
    """Collect the core's and the plugins' events and subscriptions into ``app.extensions``."""
    from .plugins import call_hook

    pm = app.extensions["pc_plugin_manager"]
    catalog = EventCatalog()
    for event_type in core_events:
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


def emit(name: str, *, partner_ids=(), actor: Actor | None = None, payload: dict | None = None, app=None) -> Event:
    """Record that something happened and hand it to its subscribers.

    :param name: a declared event name; an undeclared name or payload field raises ``EventError``.
    :param partner_ids: the partners concerned (empty or None ids are dropped).
    :param actor: who did it: an ``Actor`` (``SYSTEM``, ``current_actor()``...); a ``User`` is read as ``Actor.of_user``.
    :raises EventError: the event or a payload field is not in the catalog.
    """
    from .actors import as_actor

    app = app or current_app._get_current_object()
    payload = dict(payload or {})
    catalog(app).get(name).check_payload(payload)
    event = Event(name=name, partner_ids=tuple(dict.fromkeys(str(p) for p in partner_ids or () if p)),
                  actor=as_actor(actor), payload=payload)
    durable = subscribers(name, durable=True, app=app)
    if durable:
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
