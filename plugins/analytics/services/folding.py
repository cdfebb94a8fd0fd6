"""Folding an event into the rollups exactly once, though it may be delivered more than once.

Durable delivery is at least once, and there are no transactions to make "record the
event" and "add its numbers" one step. So every step is keyed by the event id:

1. insert the fact (``_id`` = event id, ``status: pending``, what it adds to which rollup,
   and a claim: ``owner`` and ``lease_ms``). A second delivery finds it: applied → nothing
   to do; pending under a live claim → ``FoldInProgress`` (the delivery retries later);
   pending under an expired claim (its worker died) → it takes the claim over and carries on
   from the stored fact;
2. add to each rollup with a conditional upsert ``{_id, inflight.<event>: absent}`` →
   ``$inc`` the counters, ``$set inflight.<event>``: a repeat matches nothing and adds nothing
   (all of an event's rollups in one unordered bulk write: one round trip);
3. mark the fact ``applied``, only while still holding the claim;
4. unset ``inflight.<event>`` on each rollup, again in one bulk write (so the map stays small;
   once the fact is applied, nobody runs step 2 for it again).

Exactly once, as long as a fold ends within its lease (``EVENTS_LEASE_SECONDS``, 5 minutes,
the same promise the event delivery makes; a fold takes milliseconds). A worker frozen
longer than that while another took over could still add after step 4: ``pc-app analytics
rebuild`` reports such a difference and ``--fix`` repairs it.
"""
from __future__ import annotations

import logging
import time

from pymongo import UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from pc_app.toolkit import config, new_id

from ..models import Fact, Rollup
from .contributions import contributions_of, event_day, parse_rollup_id

log = logging.getLogger("plugins.analytics")


class FoldInProgress(Exception):
    """Another worker is folding this event right now; the delivery is retried later."""


def fold(event) -> bool:
    """Add the event's numbers to its rollups exactly once; True when this call finished the fold.

    :raises FoldInProgress: another worker holds a live claim on the event's fact.
    """
    facts = Fact._get_collection()
    owner, lease_ms = new_id(), int(config("EVENTS_LEASE_SECONDS")) * 1000
    parts = contributions_of(event, config("ANALYTICS_CURRENCY"))
    fact = {"_id": event.id, "name": event.name, "day": event_day(event.occurred_at),
            "occurred_ms": int(event.occurred_at.timestamp() * 1000), "status": "pending",
            "contributions": [{"doc": doc_id, "inc": inc} for doc_id, inc in sorted(parts.items())],
            "owner": owner, "lease_ms": _now_ms() + lease_ms}
    try:
        facts.insert_one(fact)
    except DuplicateKeyError:
        fact = facts.find_one({"_id": event.id})
        if fact["status"] == "applied":
            _clear_inflight(event.id, fact["contributions"])
            return False
        if int(fact.get("lease_ms") or 0) > _now_ms():
            raise FoldInProgress(f"event {event.id} is being folded by another worker") from None
        taken = facts.update_one({"_id": event.id, "status": "pending", "owner": fact.get("owner")},
                                 {"$set": {"owner": owner, "lease_ms": _now_ms() + lease_ms}})
        if taken.matched_count != 1:
            raise FoldInProgress(f"event {event.id} was taken over by another worker") from None
        log.warning("taking over the fold of event %s id=%s from a worker whose claim expired", event.name, event.id)
    add_to_rollups(event.id, fact["contributions"])
    finished = facts.update_one({"_id": event.id, "status": "pending", "owner": owner},
                                {"$set": {"status": "applied"}, "$unset": {"owner": "", "lease_ms": ""}})
    if finished.matched_count != 1:
        return False  # our claim expired and another worker took over: it finishes (and cleans up)
    _clear_inflight(event.id, fact["contributions"])
    return True


def _now_ms() -> int:
    return int(time.time() * 1000)


def add_to_rollups(event_id: str, parts: list[dict]) -> int:
    """``$inc`` each rollup by its part unless this event already did: one round trip; returns how many added now.

    Each part is ``{"doc": rollup id, "inc": {counter: amount}}``.
    """
    rollups = Rollup._get_collection()
    ops = []
    for part in parts:
        scope, key, day = parse_rollup_id(part["doc"])
        ops.append(UpdateOne(_guard(event_id, part["doc"]), {**_update(event_id, part["inc"]),
                             "$setOnInsert": {"scope": scope, "key": key, "day": day}}, upsert=True))
    if not ops:
        return 0
    try:
        result = rollups.bulk_write(ops, ordered=False)
        return result.upserted_count + result.modified_count
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors") or []
        if any(error.get("code") != _DUPLICATE_KEY for error in errors):
            raise
        # A duplicate key means the rollup exists: either this event is in flight on it already
        # (nothing to do), or another event created it a moment ago; without the upsert the guard
        # tells which.
        added = int(exc.details.get("nUpserted") or 0) + int(exc.details.get("nModified") or 0)
        retry = [parts[error["index"]] for error in errors]
        result = rollups.bulk_write([UpdateOne(_guard(event_id, part["doc"]), _update(event_id, part["inc"]))
                                     for part in retry], ordered=False)
        return added + result.modified_count


_DUPLICATE_KEY = 11000


def _guard(event_id: str, doc_id: str) -> dict:
    return {"_id": doc_id, f"inflight.{event_id}": {"$exists": False}}


def _update(event_id: str, inc: dict) -> dict:
    return {"$inc": {**inc, "n": 1}, "$set": {f"inflight.{event_id}": 1}}


def _clear_inflight(event_id: str, parts: list) -> None:
    if parts:
        Rollup._get_collection().bulk_write([UpdateOne({"_id": part["doc"]}, {"$unset": {f"inflight.{event_id}": ""}})
                                             for part in parts], ordered=False)
