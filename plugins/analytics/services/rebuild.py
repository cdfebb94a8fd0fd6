"""``pc-app analytics rebuild``: recompute the rollups from the stored facts and compare with the live ones.

Two checks, each against a record analytics keeps or the core keeps (never another plugin's
collections):

- **facts → rollups.** Every applied fact says what its event added to which rollup; summed
  per rollup they must equal the live counters (and ``n``, the events folded in), to the
  cent. A difference means a lost or doubled ``$inc`` (a fold that outlived its lease, a
  manual edit, a bug in folding). ``--fix`` sets such a rollup to the recomputed values,
  guarded by its ``n`` so a fold landing meanwhile is never overwritten.
- **stored events → facts.** The core keeps every event a durable subscriber hears for
  ``RETENTION_DAYS`` (30) in ``core_events``. An event there with no fact was never folded
  (its delivery is pending, or dead after its retries); ``--fix`` folds it now. A fact whose
  recorded numbers differ from what its event yields today means the folding rules changed
  since (or the fact was edited): reported, never rewritten, since facts are the history.

The live rollups are read before the facts, and a rollup with a fold in progress (a pending
fact or an ``inflight`` marker) is left out; a difference is only reported when a second
pass over its days still sees it, so folds running beside a rebuild do not raise alarms.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pymongo.errors import DuplicateKeyError

from pc_app.toolkit import StoredEvent, config, delivery_key, event_from_document

from ..models import Fact, Rollup
from .contributions import FOLDED_EVENTS, contributions_of
from .folding import FoldInProgress, fold
from .reports import counters_of

SUBSCRIPTION_ID = "analytics.fold_events"
_BATCH = 500  # stored events checked against their facts per query
# Deliveries still to come: the event is not lost, only not folded yet.
AWAITING_DELIVERY = ("pending", "running")


@dataclass
class Difference:
    """One counter of one rollup that the facts and the live rollup disagree on."""
    rollup: str
    counter: str
    live: int
    rebuilt: int


@dataclass
class RebuildReport:
    """What a rebuild compared, what differs, and what ``--fix`` did about it."""
    start: dt.date | None
    end: dt.date | None
    facts: int = 0
    rollups: int = 0
    stored_events: int = 0
    differences: list[Difference] = field(default_factory=list)
    in_flight: list[str] = field(default_factory=list)
    unfolded_events: list[tuple[str, str, str]] = field(default_factory=list)   # (id, name, delivery status)
    changed_facts: list[str] = field(default_factory=list)
    fixed_rollups: list[str] = field(default_factory=list)
    skipped_fixes: list[str] = field(default_factory=list)
    folded_now: list[str] = field(default_factory=list)

    @property
    def lost_events(self) -> list[str]:
        """Unfolded events whose delivery is over (dead, or delivered without a fact) and not folded now."""
        return [event_id for event_id, _name, status in self.unfolded_events
                if status not in AWAITING_DELIVERY and event_id not in self.folded_now]

    @property
    def clean(self) -> bool:
        """No difference left, no event lost, no fact disagreeing with its event."""
        unfixed = {d.rollup for d in self.differences} - set(self.fixed_rollups)
        return not unfixed and not self.lost_events and not self.changed_facts


def _day_filter(start: dt.date | None, end: dt.date | None) -> dict:
    days: dict = {}
    if start is not None:
        days["$gte"] = start.isoformat()
    if end is not None:
        days["$lte"] = end.isoformat()
    return {"day": days} if days else {}


def count_facts(start: dt.date | None, end: dt.date | None) -> int:
    """How many facts the range holds (for a progress display)."""
    found = list(Fact._get_collection().aggregate([{"$match": _day_filter(start, end)}, {"$count": "n"}]))
    return int(found[0]["n"]) if found else 0


def _live_rollups(query: dict) -> dict[str, dict]:
    return {doc["_id"]: doc for doc in Rollup._get_collection().find(query)}


def _recompute(query: dict, on_fact=None) -> tuple[dict[str, dict], set[str], int]:
    """``(rebuilt counters by rollup, rollups with a fold in progress, facts read)`` from the facts."""
    rebuilt: dict[str, dict] = {}
    pending: set[str] = set()
    read = 0
    for fact in Fact._get_collection().find(query, {"status": 1, "contributions": 1}):
        read += 1
        for part in fact.get("contributions") or []:
            if fact.get("status") != "applied":
                pending.add(part["doc"])
                continue
            counters = rebuilt.setdefault(part["doc"], {})
            for name, amount in {**part["inc"], "n": 1}.items():
                counters[name] = counters.get(name, 0) + amount
        if on_fact is not None:
            on_fact()
    return rebuilt, pending, read


def _compare(live: dict[str, dict], rebuilt: dict[str, dict], pending: set[str]) -> tuple[list, list]:
    differences, in_flight = [], []
    for doc_id in sorted(set(live) | set(rebuilt)):
        doc = live.get(doc_id) or {}
        if doc_id in pending or doc.get("inflight"):
            in_flight.append(doc_id)
            continue
        have = {**counters_of(doc), "n": int(doc.get("n") or 0)} if doc else {}
        want = rebuilt.get(doc_id, {})
        for counter in sorted(set(have) | set(want)):
            if have.get(counter, 0) != want.get(counter, 0):
                differences.append(Difference(doc_id, counter, have.get(counter, 0), want.get(counter, 0)))
    return differences, in_flight


def compare_rollups(start: dt.date | None, end: dt.date | None, on_fact=None) -> tuple[list, list, dict, dict, int]:
    """One pass: live rollups first, then the facts of the same days; returns the differences and what it read."""
    query = _day_filter(start, end)
    live = _live_rollups(query)
    rebuilt, pending, read = _recompute(query, on_fact)
    differences, in_flight = _compare(live, rebuilt, pending)
    return differences, in_flight, live, rebuilt, read


def _confirm(differences: list[Difference]) -> tuple[list, list, dict, dict]:
    """Second pass over only the days that differed: keep what still differs (and what it read)."""
    days = sorted({d.rollup.rsplit(":", 1)[1] for d in differences})
    query = {"day": {"$in": days}}
    live = _live_rollups(query)
    rebuilt, pending, _read = _recompute(query)
    again, in_flight = _compare(live, rebuilt, pending)
    seen = {(d.rollup, d.counter) for d in differences}
    return [d for d in again if (d.rollup, d.counter) in seen], in_flight, live, rebuilt


def fix_rollup(doc_id: str, live: dict | None, rebuilt: dict | None) -> bool:
    """Set one rollup to its rebuilt counters unless a fold changed it since it was read."""
    collection = Rollup._get_collection()
    if live is None:
        from .contributions import parse_rollup_id

        scope, key, day = parse_rollup_id(doc_id)
        try:
            collection.insert_one({"_id": doc_id, "scope": scope, "key": key, "day": day, **rebuilt})
        except DuplicateKeyError:
            return False
        return True
    if not rebuilt:
        return collection.delete_one({"_id": doc_id, "n": live.get("n", 0)}).deleted_count == 1
    stale = [name for name in counters_of(live) if name not in rebuilt]
    update: dict = {"$set": rebuilt}
    if stale:
        update["$unset"] = {name: "" for name in stale}
    return collection.update_one({"_id": doc_id, "n": live.get("n", 0)}, update).matched_count == 1


def _stored_events_query(start: dt.date | None, end: dt.date | None) -> dict:
    query: dict = {"name": {"$in": list(FOLDED_EVENTS)}}
    window: dict = {}
    if start is not None:
        window["$gte"] = _epoch_ms(start)
    if end is not None:
        window["$lt"] = _epoch_ms(end + dt.timedelta(days=1))
    if window:
        # The epoch milliseconds emit() stored: a stored event's datetimes do not compare reliably on
        # every server once its deliveries were updated (docs/development.md).
        query["occurred_ms"] = window
    return query


def count_stored_events(start: dt.date | None, end: dt.date | None) -> int:
    """How many stored events of the folded kinds the range holds (for a progress display)."""
    found = list(StoredEvent._get_collection().aggregate([{"$match": _stored_events_query(start, end)},
                                                          {"$count": "n"}]))
    return int(found[0]["n"]) if found else 0


def check_stored_events(start: dt.date | None, end: dt.date | None, on_event=None) -> tuple[int, list, list]:
    """``(events read, unfolded (id, name, delivery status), facts that disagree with their event)``."""
    query = _stored_events_query(start, end)
    key = delivery_key(SUBSCRIPTION_ID)
    read, unfolded, changed = 0, [], []
    batch: list[dict] = []
    for doc in StoredEvent._get_collection().find(query).sort("occurred_ms", 1):
        read += 1
        # Events stored before analytics subscribed were never meant for it.
        if key in (doc.get("deliveries") or {}):
            batch.append(doc)
        if len(batch) >= _BATCH:
            _check_batch(batch, key, unfolded, changed)
            batch = []
        if on_event is not None:
            on_event()
    _check_batch(batch, key, unfolded, changed)
    return read, unfolded, changed


def _check_batch(docs: list[dict], key: str, unfolded: list, changed: list) -> None:
    if not docs:
        return
    currency = config("ANALYTICS_CURRENCY")
    facts = {fact["_id"]: fact for fact in Fact._get_collection().find(
        {"_id": {"$in": [str(doc["_id"]) for doc in docs]}}, {"contributions": 1})}
    for doc in docs:
        fact = facts.get(str(doc["_id"]))
        if fact is None:
            unfolded.append((str(doc["_id"]), doc["name"], doc["deliveries"][key].get("status", "?")))
            continue
        recorded = {part["doc"]: part["inc"] for part in fact.get("contributions") or []}
        if contributions_of(event_from_document(doc), currency) != recorded:
            changed.append(str(doc["_id"]))


def _epoch_ms(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp() * 1000)


def rebuild(start: dt.date | None = None, end: dt.date | None = None, *, fix: bool = False,
            on_fact=None, on_event=None) -> RebuildReport:
    """Compare the live rollups of the range (every day when ``start`` is None) with their facts.

    :param fix: fold unfolded stored events, then set differing rollups to their rebuilt values.
    :param on_fact: called once per fact read (progress display); ``on_event`` per stored event.
    """
    report = RebuildReport(start, end)
    report.stored_events, report.unfolded_events, report.changed_facts = check_stored_events(start, end, on_event)
    if fix:
        for event_id, _name, _status in report.unfolded_events:
            doc = StoredEvent._get_collection().find_one({"_id": event_id})
            if doc is None:
                continue
            try:
                fold(event_from_document(doc))
            except FoldInProgress:
                continue  # a worker is folding it this moment
            report.folded_now.append(event_id)
    differences, in_flight, _live, _rebuilt, report.facts = compare_rollups(start, end, on_fact)
    report.rollups = len(set(_live) | set(_rebuilt))
    if differences:
        differences, more_in_flight, live, rebuilt = _confirm(differences)
        in_flight = sorted(set(in_flight) | set(more_in_flight))
        if fix:
            for doc_id in sorted({d.rollup for d in differences}):
                if fix_rollup(doc_id, live.get(doc_id), rebuilt.get(doc_id)):
                    report.fixed_rollups.append(doc_id)
                else:
                    report.skipped_fixes.append(doc_id)
    report.differences, report.in_flight = differences, in_flight
    return report
