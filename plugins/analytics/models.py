"""The analytics collections: one fact per folded event, and the daily rollups the reports read."""
from __future__ import annotations

from mongoengine import DictField, IntField, ListField, StringField

from pc_app.toolkit import BaseDocument

FACT_STATUSES = ("pending", "applied")


class Fact(BaseDocument):
    """What one event added to the rollups, kept forever (append-only): the stored facts of a rebuild.

    ``_id`` is the event id, so an event is folded at most once. ``status`` turns ``applied``
    once every rollup holds its share; ``contributions`` lists ``{"doc": rollup id, "inc":
    {counter: amount}}``.
    """
    meta = {"collection": "analytics_facts", "strict": False, "indexes": [("day", "occurred_ms")]}

    name = StringField(required=True)
    day = StringField(required=True)            # the UTC day the event happened, YYYY-MM-DD
    occurred_ms = IntField(required=True)
    status = StringField(choices=FACT_STATUSES, default="pending", required=True)
    contributions = ListField(DictField(), default=list)


class Rollup(BaseDocument):
    """The counters of one scope for one UTC day: ``m:<day>`` (marketplace) or ``p:<partner>:<day>``.

    Counters are flat top-level fields updated only by ``$inc``: plain names (``sold``),
    ``ind:<industry>:<name>``, ``tts:<hours>`` (time-to-sale histogram) and, in the
    marketplace's rollup, ``sel:<partner>:<name>`` / ``buy:<partner>:<name>`` (the leaders). ``n`` counts the
    events folded in; ``inflight`` holds the ids of events being folded right now (see
    ``services.folding``). Flat names, because an upsert's ``$inc`` on a dotted path creates
    nested fields on MongoDB but a literal dotted key on our local stand-in.
    """
    meta = {"collection": "analytics_rollups", "strict": False,
            "indexes": ["day"]}  # reports read by id (the days of the range); rebuild by day

    id = StringField(primary_key=True)
    scope = StringField(required=True)          # "marketplace" or "partner"
    key = StringField(required=True)            # "all" or the partner id
    day = StringField(required=True)
    n = IntField(default=0)
    inflight = DictField(default=dict)
