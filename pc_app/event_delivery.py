"""At-least-once delivery of events to durable subscribers: the stored event, the job, the sweeper.

``emit`` stores the event with one pending delivery per durable subscriber in a single
insert, right after the change it reports, and queues ``deliver_event``. Each delivery is
claimed with a conditional update (its attempt number is the version), so two workers never
run one delivery at once; a claim carries a lease, and a worker that dies mid-delivery
leaves a lease that expires. ``sweep_events`` (every minute) queues again every event that
still has open deliveries and is past a short grace period, so nothing is lost between the
change and the delivery. Handlers get the event's id to stay idempotent.

Per-delivery state lives in a dict keyed by subscriber (``deliveries.<key>.status``): dotted
``$set`` on plain sub-documents behaves the same on MongoDB and on our local stand-in, and
time is kept as epoch milliseconds so comparisons never meet a stored-datetime quirk.
"""
from __future__ import annotations

import datetime as dt
import logging
import random
import re
import time

from mongoengine import DictField, IntField, StringField
from pymongo import ReturnDocument

from .actors import as_actor
from .db import BaseDocument, DateTimeField, ValueListField

log = logging.getLogger("pc_app.events")

SWEEP_GRACE_MS = 30 * 1000        # leave fresh events to the job emit queued
RETENTION_DAYS = 30               # delivered events are kept this long for inspection
BACKOFF_MAX_S = 3600


class StoredEvent(BaseDocument):
    """An emitted event that durable subscribers must hear, with each one's delivery state."""
    meta = {"collection": "core_events", "indexes": [
        ("open_deliveries", "occurred_ms"),
        "name",
        {"fields": ["occurred_at"], "expireAfterSeconds": RETENTION_DAYS * 24 * 3600},
    ]}

    name = StringField(required=True)
    partner_ids = ValueListField(StringField(), default=list)
    actor = StringField(null=True)
    payload = DictField(default=dict)
    occurred_at = DateTimeField(required=True)
    occurred_ms = IntField(required=True)
    # subscriber key -> {"id", "status": pending|running|delivered|dead, "attempts", "due_ms", "lease_ms", "error"}
    deliveries = DictField(default=dict)
    open_deliveries = IntField(default=0)


def delivery_key(subscription_id: str) -> str:
    """A subscription id usable as one segment of a dotted path."""
    return re.sub(r"[^A-Za-z0-9_]", "_", subscription_id)


def _now_ms() -> int:
    return int(time.time() * 1000)


def store_and_queue(event, subscriptions) -> None:
    """Store the event with a pending delivery per subscriber (one insert), then queue its delivery."""
    from .jobs import enqueue

    now = _now_ms()
    StoredEvent._get_collection().insert_one({
        "_id": event.id, "name": event.name, "partner_ids": list(event.partner_ids), "actor": event.actor,
        "payload": event.payload, "occurred_at": event.occurred_at, "occurred_ms": now,
        "deliveries": {delivery_key(sub.id): {"id": sub.id, "status": "pending", "attempts": 0, "due_ms": now}
                       for sub in subscriptions},
        "open_deliveries": len(subscriptions),
    })
    try:
        enqueue(deliver_event, event.id, result_ttl=0)
    except Exception:
        # Redis down: the event is stored, so the sweeper delivers it once Redis is back.
        log.warning("could not queue delivery of event %s id=%s; the sweeper will", event.name, event.id)


def event_from_document(doc: dict):
    from .db import parse_stored_datetime
    from .event_model import Event

    occurred = doc["occurred_at"]
    if isinstance(occurred, str):
        occurred = parse_stored_datetime(occurred)
    elif occurred.tzinfo is None:
        occurred = occurred.replace(tzinfo=dt.timezone.utc)
    return Event(name=doc["name"], partner_ids=tuple(doc.get("partner_ids") or ()), actor=as_actor(doc.get("actor")),
                 payload=dict(doc.get("payload") or {}), id=str(doc["_id"]), occurred_at=occurred)


def backoff_seconds(attempts: int, base_s: float) -> float:
    """Exponential with jitter: base, 2 × base, 4 × base … capped at an hour."""
    return min(base_s * 2 ** max(attempts - 1, 0), BACKOFF_MAX_S) * random.uniform(0.8, 1.2)


def _claimable(state: dict, now: int) -> bool:
    if state.get("status") == "pending":
        return int(state.get("due_ms") or 0) <= now
    if state.get("status") == "running":
        return int(state.get("lease_ms") or 0) <= now  # its worker died: take it over
    return False


def deliver_event(event_id: str) -> dict:
    """Job: run every due delivery of one event; returns ``{key: outcome}`` for the log.

    Safe to run twice at once or again later: each delivery is claimed by a conditional
    update on its attempt number, and finished ones are skipped.
    """
    from flask import current_app

    collection = StoredEvent._get_collection()
    doc = collection.find_one({"_id": event_id})
    if doc is None:
        return {}
    subscriptions = {delivery_key(s.id): s for s in current_app.extensions["pc_subscriptions"] if s.durable}
    # A handler running longer than the lease is presumed dead and its delivery taken over.
    lease_ms = int(current_app.config["EVENTS_LEASE_SECONDS"]) * 1000
    outcomes: dict = {}
    next_due: list[float] = []
    for key, state in (doc.get("deliveries") or {}).items():
        now = _now_ms()
        if not _claimable(state, now):
            continue
        attempts = int(state.get("attempts") or 0)
        claimed = collection.find_one_and_update(
            {"_id": event_id, f"deliveries.{key}.attempts": attempts,
             f"deliveries.{key}.status": state["status"]},
            {"$set": {f"deliveries.{key}.status": "running", f"deliveries.{key}.lease_ms": now + lease_ms,
                      f"deliveries.{key}.attempts": attempts + 1}},
            projection={"_id": 1}, return_document=ReturnDocument.AFTER)
        if claimed is None:
            continue  # another worker took it
        subscription = subscriptions.get(key)
        if subscription is None:
            # The subscriber's plugin is no longer enabled: nobody will ever hear it.
            _finish(collection, event_id, key, "dead", "subscriber not enabled")
            outcomes[key] = "dead"
            continue
        event = event_from_document(doc)
        try:
            subscription.resolve()(event)
        except Exception as exc:
            log.exception("durable subscriber %s failed on event %s id=%s (attempt %d)", subscription.id,
                          event.name, event.id, attempts + 1)
            if attempts + 1 >= subscription.max_attempts:
                _finish(collection, event_id, key, "dead", _short(exc))
                outcomes[key] = "dead"
            else:
                delay = backoff_seconds(attempts + 1, current_app.config["EVENTS_RETRY_BASE_SECONDS"])
                collection.update_one(
                    {"_id": event_id, f"deliveries.{key}.attempts": attempts + 1},
                    {"$set": {f"deliveries.{key}.status": "pending", f"deliveries.{key}.error": _short(exc),
                              f"deliveries.{key}.due_ms": _now_ms() + int(delay * 1000)}})
                next_due.append(delay)
                outcomes[key] = "retry"
            continue
        _finish(collection, event_id, key, "delivered", None)
        outcomes[key] = "delivered"
    if next_due:
        _queue_retry(event_id, min(next_due))
    return outcomes


def _finish(collection, event_id: str, key: str, status: str, error: str | None) -> None:
    update = {"$set": {f"deliveries.{key}.status": status}, "$inc": {"open_deliveries": -1}}
    if error:
        update["$set"][f"deliveries.{key}.error"] = error
    collection.update_one({"_id": event_id, f"deliveries.{key}.status": "running"}, update)


def _short(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def _queue_retry(event_id: str, delay_s: float) -> None:
    from .jobs import enqueue

    try:
        at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=delay_s)
        enqueue(deliver_event, event_id, at=at, result_ttl=0)
    except Exception:
        log.warning("could not schedule the retry of event %s; the sweeper will", event_id)


def sweep_events(now_ms: int | None = None) -> int:
    """Job (every minute): queue delivery of every event with open deliveries past the grace period.

    :return: how many events were queued.
    """
    from .jobs import enqueue

    now = now_ms if now_ms is not None else _now_ms()
    queued = 0
    for doc in StoredEvent._get_collection().find(
            {"open_deliveries": {"$gt": 0}, "occurred_ms": {"$lte": now - SWEEP_GRACE_MS}},
            {"_id": 1, "deliveries": 1}).limit(1000):
        if any(_claimable(state, now) for state in (doc.get("deliveries") or {}).values()):
            enqueue(deliver_event, str(doc["_id"]), result_ttl=0)
            queued += 1
    if queued:
        log.info("event sweep queued %d event(s) with open deliveries", queued)
    return queued


def delivery_status(event_id: str) -> dict:
    """``{subscription id: state}`` of one stored event (tests and operators)."""
    doc = StoredEvent._get_collection().find_one({"_id": event_id}, {"deliveries": 1})
    if doc is None:
        return {}
    return {state["id"]: state for state in (doc.get("deliveries") or {}).values()}
