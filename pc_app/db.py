"""The MongoDB connection (mongoengine) and index creation for every registered model."""
from __future__ import annotations

import datetime as dt
import logging
from contextlib import contextmanager

import mongoengine
import pymongo
from bson import ObjectId
from mongoengine.connection import DEFAULT_CONNECTION_NAME

from .collection_versions import WriteVersions, owner_fields
from .config import database_target
from .errors import NotFound

log = logging.getLogger("pc_app.db")


def connect_database(config: dict) -> None:
    """(Re)bind mongoengine's default alias to this config's database.

    ``connect=False`` defers the socket until first use, which keeps the connection out of
    the gunicorn master and lets RQ's forked work horses open their own (PyMongo is not
    fork-safe).
    """
    target = database_target(config)
    mongoengine.disconnect(DEFAULT_CONNECTION_NAME)
    kwargs = {"connect": False, "tz_aware": True, "uuidRepresentation": "standard",
              "serverSelectionTimeoutMS": int(config.get("MONGODB_TIMEOUT_MS", 5000))}
    # Every write bumps its collection's version, which ends what was cached from it (collection_versions).
    kwargs["event_listeners"] = [WriteVersions(config["REDIS_URL"]), *(config.get("MONGODB_EVENT_LISTENERS") or ())]
    mongoengine.connect(db=target.name, host=target.url, alias=DEFAULT_CONNECTION_NAME, **kwargs)


def read_matching(collection, match: dict, limit: int, fields: dict | None = None) -> list[dict]:
    """Up to ``limit`` stored documents matching ``match`` (only ``fields`` when given), in one ``$match`` + ``$limit``.

    For a request that needs a few documents by a filter not on ``_id``. Our local stand-in
    answers a multi-document ``find`` like that by reading the whole collection (147 ms for a
    buyer's 5 reservations among 100,000), but a ``$match`` + ``$limit`` aggregation through
    the index (4.5 ms). MongoDB serves both from the index. The projection comes after the
    ``$limit``, where it touches only the rows read.
    """
    pipeline: list = [{"$match": match}, {"$limit": limit}]
    if fields:
        pipeline.append({"$project": fields})
    return list(collection.aggregate(pipeline))


# A cursor's first batch holds 101 documents unless told otherwise, and each further batch costs a
# ``getMore`` round trip. A read meant to come back whole asks for this many in its first batch
# (MongoDB still stops a batch at 16 MiB: e-mails of 100,000 leads are about 3 MB).
WHOLE_BATCH = 100_000


def distinct_pipeline(field: str, match: dict | None = None) -> list[dict]:
    """The distinct values of ``field`` among the documents matching ``match``: ``$match`` + ``$group``,
    one row ``{_id: value}`` per value. Read it with ``batchSize=WHOLE_BATCH``: one round trip.

    Not the ``distinct`` command with a filter: our local stand-in answers that by reading the
    whole collection (167 ms for a buyer's 20 leads among 100,000), where a grouped match is
    read through the index (3.7 ms). MongoDB serves both from the index.
    """
    return ([{"$match": match}] if match else []) + [{"$group": {"_id": f"${field}"}}]


def ensure_indexes(models) -> None:
    """Create the indexes each model declares in ``meta``; safe to repeat."""
    for model in models:
        model.ensure_indexes()


def database():
    """The pymongo Database behind mongoengine's default alias."""
    return mongoengine.get_db(DEFAULT_CONNECTION_NAME)


def ping_database(timeout: float | None = None) -> None:
    """Ask MongoDB for a ``ping``; with ``timeout`` (seconds) the whole of it, finding a server included, gives up
    after that long (pymongo's client-side timeout) instead of the client's ``serverSelectionTimeoutMS``."""
    if timeout is None:
        database().command("ping")
        return
    with pymongo.timeout(timeout):
        database().command("ping")


class DateTimeField(mongoengine.DateTimeField):
    """A UTC datetime that also reads the string form some wire-compatible servers store.

    nx-27017 (our local MongoDB stand-in) stores a datetime written by a top-level ``$set``
    as ``"YYYY-MM-DD HH:MM:SS[.ffffff]"``; MongoDB itself never does. Reading both keeps
    every code path identical on both servers.
    """

    def to_python(self, value):
        if isinstance(value, str):
            parsed = parse_stored_datetime(value)
            if parsed is not None:
                return parsed
        value = super().to_python(value)
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value


def utcnow() -> dt.datetime:
    """Now in UTC, to the millisecond: what BSON stores, so an answer equals a later read."""
    now = dt.datetime.now(dt.timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def as_utc(value) -> dt.datetime | None:
    """A stored datetime as an aware UTC datetime: naive ones are UTC, and the string form some
    wire-compatible servers store (see ``DateTimeField``) is parsed."""
    if isinstance(value, str):
        value = parse_stored_datetime(value)
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value


def iso_utc(value) -> str | None:
    """The API's one datetime format: ISO 8601, UTC offset, always to the millisecond
    (``2026-11-28T17:51:15.000+00:00``), whatever precision or form the store gave back."""
    value = as_utc(value)
    return value.isoformat(timespec="milliseconds") if isinstance(value, dt.datetime) else None


def iso_utc_ms(epoch_ms: int | None) -> str | None:
    """``iso_utc`` of a time kept as epoch milliseconds (where queries compare numbers)."""
    return None if epoch_ms is None else iso_utc(dt.datetime.fromtimestamp(epoch_ms / 1000, dt.timezone.utc))


def parse_stored_datetime(value: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def partner_filter(scope: str | None, chosen: str | None = None) -> dict:
    """The partner condition of a lookup or list: the caller's partner (``scope``, from
    ``partner_scope()``), else for platform staff (``scope=None``) the partner they chose, else none.

    :raises NotFound: a partner user chose another partner (``?partnerId=``): every list answers a
        foreign partner as it answers a foreign id, 404, rather than an empty list of its own.
    """
    if scope is not None and chosen not in (None, "", str(scope)):
        raise NotFound("partner")
    partner = scope if scope is not None else chosen
    return {"partner": partner} if partner else {}


def text_contains(fields, text: str) -> dict:
    """A raw filter: any of ``fields`` contains ``text`` (case-insensitive, regex-escaped).

    Written as a ``$regex`` string: compiled Python patterns (mongoengine's ``__icontains``)
    are not understood by every wire-compatible server.
    """
    import re

    pattern = re.escape(text)
    clauses = [{field: {"$regex": pattern, "$options": "i"}} for field in fields]
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}


def owned_by(document) -> dict:
    """The document's owners as filter conditions (its collection's ``count_writes_by_owner`` fields): a write
    whose filter names them ends only those owners' kept lists and totals, not every owner's. An update by
    ``_id`` alone should add them; a findAndModify (mongoengine's ``modify``) need not, its reply names them."""
    return {field: getattr(document, field) for field in owner_fields(document._get_collection_name())}


def new_id() -> str:
    return str(ObjectId())


def is_object_id(value) -> bool:
    return isinstance(value, str) and len(value) == 24 and all(c in "0123456789abcdef" for c in value)


class BaseDocument(mongoengine.Document):
    """Every document's ``_id`` (and every reference to it) is an ObjectId's 24-hex string.

    Strings behave the same on every MongoDB-compatible server (nx-27017 cannot match
    ObjectId values outside ``$in``), and they are what the API shows anyway.
    """
    meta = {"abstract": True}

    id = mongoengine.StringField(primary_key=True, default=new_id)


class ValueListField(mongoengine.ListField):
    """A list of plain values (strings, numbers): it never holds a reference, so reading it never looks for one.

    mongoengine scans a list for references to fetch the first time a document's list is read
    (``ComplexBaseField.__get__``): 9 µs a list, 46 µs for the five lists of a buyer's ICP on
    every browse. Our references are plain id strings (``RefField``), so there is never one to fetch.
    """

    @property
    def _auto_dereference(self) -> bool:
        return False


def RefField(**kwargs) -> mongoengine.StringField:  # noqa: N802 (reads like a field class)
    """A reference to another document: its id as a 24-hex string."""
    return mongoengine.StringField(regex=r"^[0-9a-f]{24}$", **kwargs)


@contextmanager
def undone_on_failure(undo, what: str):
    """Run ``undo`` if the block raises, then let the error go on: a flow of several writes never stays half-done.

    There are no multi-document transactions here (our local stand-in has no isolation), so a
    flow that wrote one record and fails on the next removes the first itself. ``undo`` must
    be conditional (delete only what is still in the state we left it), so it cannot remove
    work someone else did meanwhile. A failing undo is logged and the original error raised.
    """
    try:
        yield
    except BaseException:
        try:
            undo()
        except Exception:
            log.exception("could not undo %s after a failure", what)
        raise
