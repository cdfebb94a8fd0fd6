"""Write versions: every write to a collection bumps a counter in Redis, so what is cached from it ends with the next write.

List totals are cached this way (``pages.count_capped``), and so are a buyer's owned e-mails
(``plugins/marketplace/browse.py``). For what it learns of listings, browse keeps its own,
narrower listings version: a listing's view counter is a write too, and must not throw away
what browse learnt.

The counters are bumped by a pymongo command listener on the app's own MongoDB client, after
the server answered the write (or refused it: an unordered ``insert_many`` may have written part
of its documents before a duplicate key stopped it). So no code path that writes, however it
writes (a mongoengine ``save``, a raw conditional ``update_one``, a bulk import, a test's
``delete_many``), can forget to invalidate, and a request made after a write's answer always
reads the new version.

Why after and not before: a reader that read the old version and counted before the write
stores its count under the old version, which no one reads once the write bumped it; bumping
before the write would let a reader store a pre-write count under the new version.

A cache read costs one Redis ``MGET`` (the database's version, the collection's version and
the cached value together); Redis being down only means counting again.
"""
from __future__ import annotations

import json
import logging
import threading
import time

import redis as redis_py
from pymongo import monitoring
from redis.exceptions import RedisError

log = logging.getLogger("pc_app.collection_versions")

# Commands that change a collection's documents (findAndModify covers find_one_and_update/delete).
COLLECTION_WRITES = frozenset({"insert", "update", "delete", "findAndModify", "drop", "create", "renameCollection"})
# Commands that change every collection of a database at once.
DATABASE_WRITES = frozenset({"dropDatabase"})
PREFIX = "pc:version:"
# While Redis cannot be reached, writes are not held up asking it again for this many seconds;
# what was cached meanwhile lives out its TTL (LIST_COUNT_CACHE_SECONDS).
PAUSE_SECONDS = 5.0


def collection_key(database: str, collection: str) -> str:
    return f"{PREFIX}{database}.{collection}"


def database_key(database: str) -> str:
    return f"{PREFIX}{database}"


class WriteVersions(monitoring.CommandListener):
    """Bumps a collection's version in Redis once the server has answered a write to it."""

    def __init__(self, redis_url: str):
        self._redis_url = redis_url
        self._redis = None
        self._pending: dict = {}
        self._lock = threading.Lock()
        self._paused_until = 0.0
        self.failures = 0  # bumps Redis refused (each pauses bumping for PAUSE_SECONDS)

    @property
    def redis(self):
        # Made on first use: the listener is built with the app, before gunicorn or RQ fork. Short
        # timeouts: the bump runs in the thread that wrote, after the write, and must not hold it.
        if self._redis is None:
            self._redis = redis_py.Redis.from_url(self._redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
        return self._redis

    def started(self, event):
        name = event.command_name
        if name in COLLECTION_WRITES:
            key = collection_key(event.database_name, str(event.command.get(name)))
        elif name in DATABASE_WRITES:
            key = database_key(event.database_name)
        else:
            return
        with self._lock:
            self._pending[(event.connection_id, event.request_id)] = key

    def succeeded(self, event):
        self._bump(event)

    def failed(self, event):
        self._bump(event)

    def _bump(self, event):
        if event.command_name not in COLLECTION_WRITES and event.command_name not in DATABASE_WRITES:
            return
        with self._lock:
            key = self._pending.pop((event.connection_id, event.request_id), None)
        if key is None or time.monotonic() < self._paused_until:
            return
        try:
            self.redis.incr(key)
        except RedisError as exc:
            # Cached values then live out their TTL; the write itself has already happened.
            self.failures += 1
            self._paused_until = time.monotonic() + PAUSE_SECONDS
            log.warning("could not bump %s after a write (not trying again for %.0f s): %s", key, PAUSE_SECONDS, exc)


def version_of(database_value, collection_value) -> str:
    """The version a database's and a collection's counters (as Redis returns them) name together."""
    return f"{int(database_value or 0)}.{int(collection_value or 0)}"


def versions(redis, database: str, collection: str, *extra_keys: str) -> tuple[str, list]:
    """``(version, values of extra_keys)`` in one round trip; the version names both counters."""
    values = redis.mget([database_key(database), collection_key(database, collection), *extra_keys])
    return version_of(values[0], values[1]), values[2:]


def kept_under(stored: bytes | None, version: str) -> bytes | None:
    """What ``keep`` stored, if it was stored under ``version`` (else None: nothing, or from before a write)."""
    if stored is None:
        return None
    stored_version, _, payload = stored.partition(b":")
    return payload if stored_version == version.encode() else None


def keep(redis, key: str, version: str, payload: bytes, ttl: int) -> None:
    """Store ``payload`` under ``version`` for at most ``ttl`` seconds; Redis failing only means reading again."""
    try:
        redis.set(key, version.encode() + b":" + payload, ex=ttl)
    except RedisError:
        pass


def cached_payload(redis, collection, key: str, compute, ttl: int, counters: tuple[str, ...] = ()) -> bytes:
    """``compute()`` (bytes) for ``collection``'s current version, kept under ``key`` for at most ``ttl`` seconds.

    ``counters`` are more Redis counters the value depends on (a narrower version a plugin bumps
    itself); each is part of the version. The version is read before ``compute`` reads the
    database, so what a write ends is filed under the version that write bumps. Redis failing
    means computing it.
    """
    try:
        version, values = versions(redis, collection.database.name, collection.name, *counters, key)
    except RedisError:
        return compute()
    version += "".join(f".{int(value or 0)}" for value in values[:-1])
    payload = kept_under(values[-1], version)
    if payload is not None:
        return payload
    payload = compute()
    keep(redis, key, version, payload, ttl)
    return payload


def cached(redis, collection, key: str, compute, ttl: int):
    """``cached_payload`` for anything JSON holds (list totals, a buyer's e-mails)."""
    return json.loads(cached_payload(redis, collection, key, lambda: json.dumps(compute()).encode(), ttl))
