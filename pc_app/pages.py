"""Lists: the page arguments, the page answer, and reading one page at a cost that does not grow with the data.

A page is read with one aggregation of ``$match``/``$sort``/``$skip``/``$limit`` (MongoDB and
our local stand-in both answer it from the index: 1.5 ms at 10,000 leads where
``find().sort().skip().limit()`` took 40 ms on the stand-in). The total is counted with a
cap: ``LIST_COUNT_CAP`` (default 1,000) matching documents are counted at most, and
``totalCapped`` tells the client the real number is larger ("1,000+", as large
marketplaces show), so a list never pays for counting a whole collection.

Counting even 1,000 documents is the dearest part of a page (4.5 ms of a 19 ms lead list on
the stand-in), so a count is kept in Redis per filter set until the next write to its
collection (``collection_versions``) or ``LIST_COUNT_CACHE_SECONDS``, and a page that reaches
the end of the list needs no count at all. Rows are dumped as ``StoredRow``s, not model instances.

A list whose items say nothing but what its own collection holds answers with ``page_answer``:
the JSON of a page, dumped once and kept the same way as a count (``LIST_PAGE_CACHE_SECONDS``),
so asking for an unchanged page again costs one Redis ``MGET``, neither a database read nor a
dump: page 2 of 50 leads takes 1.5 ms in process, what ``/v1/auth/me`` takes, against 6-8 ms
read and dumped. It is sent gzipped, as it was kept, to a client that accepts gzip. A list whose
items also show the clock (a reservation's countdown) is kept with what those fields are worked
out from (``ClockFields``) and has them worked out each time it is served. A list that shows
another collection's records returns ``paginate`` and is dumped each time.
"""
from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

import marshmallow as ma
from bson import json_util
from flask import Response, current_app, has_app_context, request

from .api import Schema
from .collection_versions import cached, cached_payload, owner_of
from .core.fields import Integer
from .redis_client import get_redis
from .stored_row import StoredRow

DEFAULT_COUNT_CAP = 1000


class PageArgsSchema(Schema):
    """``page`` (from 1) and ``perPage`` (1-100) query arguments shared by every list route."""
    page = Integer(load_default=1, min=1, max=100000, metadata={"description": "Page number, from 1"})
    perPage = Integer(load_default=25, min=1, max=100, metadata={"description": "Items per page (1-100)"})


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """A response schema ``{items, total, totalCapped, page, perPage, pages}`` around an item schema."""
    return type(name, (Schema,), {
        "__module__": item_schema.__module__,
        "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
        "total": ma.fields.Integer(required=True, metadata={
            "description": "Matching items, counted up to LIST_COUNT_CAP (1,000 by default). A count is "
                           "reused until the next change to the listed records (at most LIST_COUNT_CACHE_SECONDS)"}),
        "totalCapped": ma.fields.Boolean(required=True, metadata={
            "description": "True when more items match than were counted: show the total as '1,000+'"}),
        "page": ma.fields.Integer(required=True),
        "perPage": ma.fields.Integer(required=True),
        "pages": ma.fields.Integer(required=True, metadata={
            "description": "Pages of the counted items (at least this many when totalCapped)"}),
    })


def count_cap() -> int:
    return int(current_app.config.get("LIST_COUNT_CAP", DEFAULT_COUNT_CAP)) if has_app_context() \
        else DEFAULT_COUNT_CAP


def count_upto(collection, match: dict, cap: int | None = None) -> int:
    """Documents of ``collection`` matching ``match``, counted up to ``cap`` + 1 when a cap is given.

    A ``$limit`` before the ``$count``: the cost follows the cap, not the collection, so a
    caller learns "more than ``cap``" without paying for the rest. One aggregation, nothing kept.
    """
    if compares_dates(match):
        return collection.count_documents(match, **({} if cap is None else {"limit": cap + 1}))
    pipeline: list = [{"$match": match}]
    if cap is not None:
        pipeline.append({"$limit": cap + 1})
    result = list(collection.aggregate(pipeline + [{"$count": "n"}]))
    return int(result[0]["n"]) if result else 0


def _digest(parts: list) -> str:
    """A short digest of query parts for a Redis key: their Extended JSON (``json_util.dumps``'s text),
    written by json's C encoder, which calls BSON's names only for what JSON lacks (ObjectId,
    datetime, regex) instead of walking every value in Python first."""
    return hashlib.sha256(json.dumps(parts, default=json_util.default).encode()).hexdigest()[:32]


def count_capped(collection, match: dict, cap: int | None = None) -> int:
    """``count_upto``, kept in Redis (in an app) while no write has touched ``collection`` since it was counted."""
    def count() -> int:
        return count_upto(collection, match, cap)

    if not has_app_context():
        return count()
    # Key order is kept, not sorted: the same filter set always builds the same dict, and
    # sorting could merge two sub-document equalities that MongoDB tells apart.
    key = f"pc:count:{collection.database.name}.{collection.name}:{_digest([cap, match])}"
    # A count of one partner's leads ends with a write to that partner's leads only (``owner_of``).
    return cached(get_redis(), collection, key, count, int(current_app.config["LIST_COUNT_CACHE_SECONDS"]),
                  owner=owner_of(collection.name, match))


def count_matching(queryset, cap: int | None = None) -> int:
    """How many documents a mongoengine queryset matches, up to ``cap`` + 1 when a cap is given.

    One ``$match`` (+ ``$limit``) + ``$count`` aggregation: pymongo's ``count_documents``
    groups with ``$group``, which our local stand-in runs about a hundred times slower.
    """
    if not _pushed_down(queryset):
        return queryset.count()  # $text and non-mongoengine sequences: let them count themselves
    return count_capped(queryset._collection, queryset._query, cap)


def page_of(queryset, skip: int, limit: int) -> list:
    """The documents of one page through a pushed-down aggregation, as ``StoredRow`` views to dump."""
    if not _pushed_down(queryset) or compares_dates(queryset._query):
        return list(queryset.skip(skip).limit(limit))
    pipeline: list = [{"$match": queryset._query}]
    if queryset._ordering:
        pipeline.append({"$sort": dict(queryset._ordering)})
    pipeline += [{"$skip": skip}, {"$limit": limit}]
    projection = queryset._loaded_fields.as_dict() if queryset._loaded_fields else {}
    if projection:
        pipeline.append({"$project": projection})
    document = queryset._document
    return [StoredRow(document, son) for son in queryset._collection.aggregate(pipeline)]


_RANGE_OPERATORS = frozenset(("$gt", "$gte", "$lt", "$lte"))


def compares_dates(match) -> bool:
    """Whether a filter bounds a datetime (``createdFrom``): such a filter is read with ``find`` and counted
    with ``count_documents``, not aggregated. MongoDB answers all three alike; nx-27017's aggregations
    compare a datetime written at insert wrongly (``$lt`` never matches it, ``$gte`` always does),
    where its ``find`` and ``count_documents`` are right. Slower there, by the collection, and rare."""
    if isinstance(match, dict):
        return any((key in _RANGE_OPERATORS and isinstance(value, datetime)) or compares_dates(value)
                   for key, value in match.items())
    if isinstance(match, list):
        return any(compares_dates(value) for value in match)
    return False


def _pushed_down(queryset) -> bool:
    """Whether ``page_of`` reads this queryset's page with one aggregation (a plain mongoengine query)."""
    return not getattr(queryset, "_search_text", None) and hasattr(queryset, "_query")


def paginate(queryset, page: int, per_page: int) -> dict:
    """One page read and at most one capped count, whatever the size of the collection."""
    cap = count_cap()
    skip = (page - 1) * per_page
    items = page_of(queryset, skip, per_page)
    if 0 < len(items) < per_page or (skip == 0 and not items):
        counted = skip + len(items)  # this page ends the list: its length is the count
    else:
        counted = count_matching(queryset, cap)
    total = min(counted, cap)
    return {"items": items, "total": total, "totalCapped": counted > cap, "page": page, "perPage": per_page,
            "pages": (total + per_page - 1) // per_page}


_schemas: dict[type, ma.Schema] = {}


def _instance(schema: ma.Schema | type[ma.Schema]) -> ma.Schema:
    """One instance per schema class: a ``ResponseSchema`` works out its dump plan once per instance."""
    if isinstance(schema, ma.Schema):
        return schema
    if schema not in _schemas:
        _schemas[schema] = schema()
    return _schemas[schema]


@dataclass(frozen=True)
class ClockFields:
    """The fields of a list's items that follow the clock, worked out when a kept page is served.

    ``inputs(row)``: what of a row they are worked out from (JSON values), kept with the page;
    ``fill(items, inputs)``: sets them on the page's dumped items, one ``inputs`` per item.
    """
    inputs: Callable[[Any], list]
    fill: Callable[[list[dict], list[list]], None]


def kept_answer(collection, key_parts: list, build, schema: ma.Schema | type[ma.Schema],
                counters: tuple[str, ...] = (), clock: ClockFields | None = None, owner=None) -> Response:
    """``build()`` dumped by ``schema`` as the JSON answer, kept until the next write to ``collection``.

    ``key_parts`` must name everything the answer depends on besides ``collection`` (and
    ``counters``, see ``cached_payload``); kept at most ``LIST_PAGE_CACHE_SECONDS``, so a
    change made outside the app shows within that time, and ``0`` builds every answer, as
    does ``collection=None``. With ``clock``, ``build()`` is a page whose items' clock fields
    are worked out at every answer, from what was kept with it. ``owner``: the answer reads
    only that owner's documents of ``collection`` (``cached_payload``).
    The route keeps ``@blp.response(200, schema)`` for the API description.
    """
    schema = _instance(schema)

    def answer() -> bytes:
        built = build()
        body = schema.dump(built)
        if clock is not None:
            body = [body, [clock.inputs(row) for row in built["items"]]]
        return current_app.json.response(body).get_data()

    ttl = int(current_app.config["LIST_PAGE_CACHE_SECONDS"])
    if ttl <= 0 or collection is None:
        data = answer()
        return _on_the_clock(data, clock) if clock else \
            current_app.response_class(data, mimetype=current_app.json.mimetype)
    digest = _digest([type(schema).__module__, type(schema).__qualname__, count_cap(), clock is not None, *key_parts])
    key = f"pc:page:{collection.database.name}.{collection.name}:{digest}"
    # Kept gzipped: Redis holds one answer per distinct page asked within the TTL, so its
    # size is what many distinct queries cost in memory (50 leads: 30 KB of JSON, 3.5 KB kept,
    # 0.07 ms to compress and 0.03 ms to expand). A client that accepts gzip (browsers, Node's
    # fetch, requests) is sent those bytes as they are: nothing to expand, a ninth to send.
    packed = cached_payload(get_redis(), collection, key, lambda: _gzipped(answer()), ttl, counters, owner)
    if clock is not None:
        return _on_the_clock(zlib.decompress(packed, _GZIP), clock)
    gzipped = request.accept_encodings["gzip"] > 0
    response = current_app.response_class(packed if gzipped else zlib.decompress(packed, _GZIP),
                                          mimetype=current_app.json.mimetype)
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


def _on_the_clock(kept: bytes, clock: ClockFields) -> Response:
    """A kept page with its clock fields worked out now (sent as JSON: its bytes differ every time)."""
    body, inputs = current_app.json.loads(kept)
    clock.fill(body["items"], inputs)
    return current_app.json.response(body)


# zlib's window bits for the gzip container (RFC 1952), which HTTP's ``Content-Encoding: gzip`` names.
_GZIP = 16 + zlib.MAX_WBITS


def _gzipped(data: bytes) -> bytes:
    """``data`` in the gzip container, compressed fast (level 1: a page is kept for seconds, not archived)."""
    packer = zlib.compressobj(1, zlib.DEFLATED, _GZIP)
    return packer.compress(data) + packer.flush()


def page_answer(queryset, page: int, per_page: int, schema: ma.Schema | type[ma.Schema], item=None,
                clock: ClockFields | None = None) -> Response:
    """``paginate``'s page as a ``kept_answer``, for a list whose items say nothing but its collection's
    documents (and the clock: ``clock``).

    The key is the query itself (filter, order, page, projection), not who asks: the filter
    already holds the asker's scope, so two members of a partner share a page. ``item`` turns
    each row into what ``schema`` dumps, when the row is not that already.
    """
    def build() -> dict:
        answer = paginate(queryset, page, per_page)
        return {**answer, "items": [item(row) for row in answer["items"]]} if item else answer

    if not _pushed_down(queryset):
        return kept_answer(None, [], build, schema, clock=clock)  # a text search: no plain query to key it by
    projection = queryset._loaded_fields.as_dict() if queryset._loaded_fields else {}
    query = [queryset._query, list(queryset._ordering or ()), page, per_page, projection]
    return kept_answer(queryset._collection, query, build, schema, clock=clock,
                       owner=owner_of(queryset._collection.name, queryset._query))
