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

The signed-in user and partner are cached one by one, so their collections are also counted per
document (``count_writes_by_document``): a write that names its documents by ``_id`` (a save, a
sign-in's timestamp) bumps only theirs; any other write bumps the collection's any-document counter.

Collections a partner owns documents of (the leads, the activities, the reservations, the
purchases of a buyer and of a seller, ...) are also counted per owner (``count_writes_by_owner``):
a write whose filter, or inserted document, names the owner of every owner field by equality
bumps those owners' counters, any other write (or one that may move a document to another owner)
the collection's any-owner counter. A value made only of one owner's documents (a partner's lead
list, its total, a buyer's owned e-mails) is cached under those two counters instead of the
collection's: a sync writing another partner's leads does not end it. Every query that names one
owner is such a value, so ``pages`` finds the owner in the query itself (``owner_of``). A
collection with two owner fields (a purchase's buyer and seller) counts both under the partner's
one counter: a partner's purchases as a buyer also end with a write to its sales, which is its own
doing anyway, and the session check reads one counter per partner and collection. A findAndModify
(mongoengine's ``modify``) writes one document, found by any filter (an id): when its filter names
no owner, the document in its reply does, and a findAndModify that found nothing bumps no owner.
An update by id names its document's owners with ``db.owned_by(document)``. A document whose owner
field is null (platform staff's users) belongs to ``NO_OWNER``: writing it ends no partner's values.

A cache read costs one Redis ``MGET`` (the database's version, the collection's version and
the cached value together); Redis being down only means counting again.

Each process also holds what it read or computed last (``LocalCopies``, bounded by bytes), with
its version and its deadline. A signed-in request reads the versions this process has cached
values under in the same ``MGET`` that checks its session (``core.auth.signed_in``), before the
route reads anything; a value this process holds under those versions then costs no round trip
at all. A write made while the request runs drops what it read (``WriteVersions.started``), so a
route never answers from versions its own write ended.
"""
from __future__ import annotations

import json
import logging
import secrets
import struct
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping

import redis as redis_py
from bson import ObjectId
from flask import has_request_context, request
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


# Collections whose documents are cached one by one (the signed-in user and partner, core.auth.signed_in).
# A write to them that names its documents by ``_id`` also bumps those documents' counters; any other
# write also bumps the collection's any-document counter. A cached document then depends on the
# database's, the any-document and its own counter: one user's sign-in does not end every cached user.
_BY_DOCUMENT: set[str] = set()
# A write naming more documents than this bumps the any-document counter instead.
MAX_NAMED_DOCUMENTS = 100


def count_writes_by_document(*collections: str) -> None:
    """Also count writes to these collections per document (``document_version_keys``)."""
    _BY_DOCUMENT.update(collections)


def _any_document_key(database: str, collection: str) -> str:
    return f"{PREFIX}{database}.{collection}#*"


def _document_key(database: str, collection: str, document_id) -> str:
    return f"{PREFIX}{database}.{collection}#{document_id}"


def document_version_keys(database: str, collection: str, document_id) -> list[str]:
    """The counters a document of a ``count_writes_by_document`` collection is cached under, after the database's."""
    return [_any_document_key(database, collection), _document_key(database, collection, document_id)]


def _named_ids(query) -> list | None:
    """The ``_id`` values a write's filter limits it to, or None when it may reach any document."""
    if not isinstance(query, dict) or "_id" not in query:
        return None
    value = query["_id"]
    if isinstance(value, dict) and set(value) == {"$in"} and isinstance(value["$in"], list):
        named = value["$in"]
    elif isinstance(value, dict) and set(value) == {"$eq"}:
        named = [value["$eq"]]
    else:
        named = [value]
    # An operator or a sub-document in their place can match more than one document.
    return named if all(not isinstance(item, (dict, list)) for item in named) else None


def _write_statements(name: str, command) -> list[tuple] | None:
    """``(filter, update)`` of each statement of an update, a delete or a findAndModify (update None for a
    removal), or None for a write that reaches every document (drop, create, rename)."""
    if name == "update":
        return [(statement.get("q"), statement.get("u")) for statement in command.get("updates") or ()]
    if name == "delete":
        return [(statement.get("q"), None) for statement in command.get("deletes") or ()]
    if name == "findAndModify":
        return [(command.get("query"), None if command.get("remove") else command.get("update"))]
    return None


def _written_document_keys(database: str, name: str, command) -> list[str]:
    """The per-document counters a write to a ``count_writes_by_document`` collection bumps."""
    collection = str(command.get(name))
    if name == "insert":
        return []  # a new document is in no cached copy (an insert with an existing _id is refused)
    statements = _write_statements(name, command)
    queries = [None] if statements is None else [query for query, _update in statements]
    ids: list = []
    for query in queries:
        named = _named_ids(query)
        if named is None or len(ids) + len(named) > MAX_NAMED_DOCUMENTS:
            return [_any_document_key(database, collection)]
        ids += named
    return [_document_key(database, collection, document_id) for document_id in dict.fromkeys(map(str, ids))]


# Collections whose writes are also counted per owner: collection -> the fields naming a document's owners.
_BY_OWNER: dict[str, tuple[str, ...]] = {}


def count_writes_by_owner(collection: str, *fields: str) -> None:
    """Also count writes to ``collection`` per owner, the value of each of ``fields`` (``owner_version_keys``).

    A write ends one owner's values only when it names an owner for every field (a purchase's
    buyer and seller): a write naming the buyer alone may reach any seller's sales."""
    if not fields:
        raise ValueError("count_writes_by_owner needs the field (or fields) naming a document's owner")
    _BY_OWNER[collection] = tuple(fields)


def owner_fields(collection: str) -> tuple[str, ...]:
    """The fields naming the owners of ``collection``'s documents (none when it is not counted by owner)."""
    return _BY_OWNER.get(collection, ())


def _any_owner_key(database: str, collection: str) -> str:
    return f"{PREFIX}{database}.{collection}@*"


def _owner_key(database: str, collection: str, owner: str) -> str:
    return f"{PREFIX}{database}.{collection}@{owner}"


def owner_version_keys(database: str, collection: str, owner) -> list[str]:
    """The counters a value made of one owner's documents of a ``count_writes_by_owner`` collection is cached
    under, after the database's."""
    return [_any_owner_key(database, collection), _owner_key(database, collection, str(owner))]


# The owner of documents whose owner field is null or missing (platform staff's users): a write that
# names it by equality reaches no partner's documents, so it ends no partner's values either.
NO_OWNER = "-"


def _owner_value(value) -> str | None:
    """One owner as the counters name it (a string id, an ObjectId's hex, ``NO_OWNER`` for null), else None."""
    if value is None:
        return NO_OWNER
    return value if isinstance(value, str) else str(value) if isinstance(value, ObjectId) else None


def _named_owner(query, field: str) -> str | None:
    """The one owner ``query`` names in ``field`` by a top-level equality, else None."""
    if not isinstance(query, Mapping) or field not in query:
        return None
    value = query[field]
    if isinstance(value, Mapping):
        if set(value) != {"$eq"}:
            return None  # an operator: it may match more than one owner
        value = value["$eq"]
    return _owner_value(value)


def owner_of(collection: str, query) -> str | None:
    """The one owner ``query`` limits ``collection``'s documents to (a top-level equality on one of its owner
    fields, the first one named), or None (not counted by owner, or not one owner)."""
    for field in _BY_OWNER.get(collection, ()):
        owner = _named_owner(query, field)
        if owner is not None:
            return owner
    return None


def _is_replacement(update) -> bool:
    """Whether an update is a whole replacement document (no ``$`` operator; an empty one too)."""
    return isinstance(update, Mapping) and not any(str(op).startswith("$") for op in update)


def _moves_owner(update, fields: tuple[str, ...]) -> bool:
    """Whether an update may give a document other owners (an aggregation pipeline may set any field)."""
    if update is None:
        return False  # a removal
    if not isinstance(update, Mapping) or _is_replacement(update):
        return True  # a pipeline; a replacement is judged against the owners it names (``_owners_written``)
    for op, changed in update.items():
        if not isinstance(changed, Mapping):
            return True
        moved = [str(name) for name in changed] + ([str(name) for name in changed.values()] if op == "$rename" else [])
        if any(name == field or name.startswith(field + ".") for name in moved for field in fields):
            return True
    return False


def _owners_written(collection: str, query, update) -> list[str] | None:
    """The owners, one per owner field, of every document a statement may write (before and after it), or None
    when a field names no one owner, or the statement may give a document another owner."""
    fields = _BY_OWNER[collection]
    owners = [_named_owner(query, field) for field in fields]
    if None in owners:
        return None
    if _is_replacement(update):
        # A replacement document: the same owners only when it names each of them again.
        return owners if [_owner_value(update.get(field)) for field in fields] == owners else None
    return None if _moves_owner(update, fields) else owners


# What ``_written_owner_keys`` answers for a findAndModify that names no owner but gives none another:
# the document in its reply names them (``_owner_keys_of_reply``).
FROM_REPLY = "from the reply"


def _written_owner_keys(database: str, name: str, command) -> list[str] | str:
    """The per-owner counters a write to a ``count_writes_by_owner`` collection bumps, or ``FROM_REPLY``."""
    collection = str(command.get(name))
    fields = _BY_OWNER[collection]
    if name == "insert":
        written = [[_owner_value(document.get(field)) for field in fields] if isinstance(document, Mapping) else [None]
                   for document in command.get("documents") or ()]
    else:
        statements = _write_statements(name, command)
        written = [[None]] if statements is None else [_owners_written(collection, query, update) or [None]
                                                        for query, update in statements]
        if name == "findAndModify" and written == [[None]] and not _moves_owner(statements[0][1], fields):
            # One document, by any filter (an id): the reply has it, before or after, with the same owners.
            return FROM_REPLY
    return _owner_keys(database, collection, [owner for owners in written for owner in owners])


def _owner_keys(database: str, collection: str, owners: list) -> list[str]:
    """The counters of these owners, or the any-owner counter when one of them is not known."""
    named = list(dict.fromkeys(owners))
    if not named or None in named or len(named) > MAX_NAMED_DOCUMENTS:
        return [_any_owner_key(database, collection)]
    return [_owner_key(database, collection, owner) for owner in named]


def _owner_keys_of_reply(database: str, command, reply) -> list[str]:
    """The per-owner counters a findAndModify bumps, from the document its reply holds: none when it found
    nothing and inserted nothing, the any-owner counter when the reply does not tell (an upsert, a projection
    without an owner field, a failure)."""
    collection = str(command.get("findAndModify"))
    value = reply.get("value") if isinstance(reply, Mapping) else None
    if isinstance(value, Mapping):
        # A field the reply leaves out (a projection) tells nothing: not the same as one stored null.
        return _owner_keys(database, collection, [_owner_value(value[field]) if field in value else None
                                                  for field in _BY_OWNER[collection]])
    if isinstance(reply, Mapping) and reply.get("ok") and "value" in reply and not command.get("upsert"):
        return []  # it matched no document: nothing was written
    return [_any_owner_key(database, collection)]


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
            collection = str(event.command.get(name))
            keys = [collection_key(event.database_name, collection)]
            if collection in _BY_DOCUMENT:
                keys += _written_document_keys(event.database_name, name, event.command)
            if collection in _BY_OWNER:
                owned = _written_owner_keys(event.database_name, name, event.command)
                # A findAndModify's owners are read from its reply, once the server answered.
                keys += [(event.database_name, event.command)] if owned == FROM_REPLY else owned
        elif name in DATABASE_WRITES:
            keys = [database_key(event.database_name)]
        else:
            return
        forget_request_versions()  # this request's reads after the write must ask Redis again
        with self._lock:
            self._pending[(event.connection_id, event.request_id)] = keys

    def succeeded(self, event):
        self._bump(event, event.reply)

    def failed(self, event):
        self._bump(event, None)

    def _bump(self, event, reply):
        if event.command_name not in COLLECTION_WRITES and event.command_name not in DATABASE_WRITES:
            return
        with self._lock:
            pending = self._pending.pop((event.connection_id, event.request_id), None)
        if pending is None or time.monotonic() < self._paused_until:
            return
        keys = [name for key in pending for name in ([key] if isinstance(key, str) else _owner_keys_of_reply(
            key[0], key[1], reply))]
        try:
            bumps = self.redis.pipeline(transaction=False)  # one round trip for all of them
            for key in keys:
                bumps.incr(key)
            bumps.execute()
        except RedisError as exc:
            # Cached values then live out their TTL; the write itself has already happened.
            self.failures += 1
            self._paused_until = time.monotonic() + PAUSE_SECONDS
            log.warning("could not bump %s after a write (not trying again for %.0f s): %s", keys[0], PAUSE_SECONDS, exc)


def version_of(*values) -> str:
    """The version counters (as Redis returns them) name together: the database's, the collection's,
    then any narrower counter's."""
    return ".".join(str(int(value or 0)) for value in values)


def versions(redis, database: str, counters: list[str], *extra_keys: str) -> tuple[str, list]:
    """``(version, values of extra_keys)`` in one round trip; the version names the database's
    counter, then ``counters``."""
    values = redis.mget([database_key(database), *counters, *extra_keys])
    values[0] = database_version(redis, database, values[0])
    return version_of(*values[:len(counters) + 1]), values[len(counters) + 1:]


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


# What ``cached_payload`` stores in Redis: its version, this marker, then the deadline and the value.
# The marker keeps values stored without a deadline (before it existed) from being read as one.
_WITH_DEADLINE = "+d"
_DEADLINE = struct.Struct(">d")


def cached_payload(redis, collection, key: str, compute, ttl: int, counters: tuple[str, ...] = (),
                   owner=None) -> bytes:
    """``compute()`` (bytes) for ``collection``'s current version, kept under ``key`` for at most ``ttl`` seconds.

    ``counters`` are more Redis counters the value depends on (a narrower version a plugin bumps
    itself); each is part of the version. ``owner``: the value is made only of this owner's
    documents of ``collection``, so, when the collection is counted by owner, only writes that may
    reach that owner's documents end it. The version is read before ``compute`` reads the
    database, so what a write ends is filed under the version that write bumps: from the request's
    versions when the request read them all (then this process's copy may answer without Redis),
    else with the value in one ``MGET``. Redis failing means computing it.
    """
    database = collection.database.name
    version_keys = _version_keys(database, collection.name, counters, owner)
    known = request_versions()
    try:
        if _all_known(known, version_keys):
            version = version_of(*(known[name] for name in version_keys))
            held = LOCAL.get(key, version)
            if held is not None:
                return held
            stored = redis.get(key)
        else:
            _watch_keys(database, collection.name, counters, owned=owner is not None)
            version, (stored,) = versions(redis, database, version_keys[1:], key)
    except RedisError:
        return compute()
    kept = kept_under(stored, version + _WITH_DEADLINE)
    if kept is not None and len(kept) >= _DEADLINE.size:
        (deadline,) = _DEADLINE.unpack_from(kept)
        LOCAL.put(key, version, deadline, kept[_DEADLINE.size:])
        return kept[_DEADLINE.size:]
    payload = compute()
    deadline = time.time() + ttl
    keep(redis, key, version + _WITH_DEADLINE, _DEADLINE.pack(deadline) + payload, ttl)
    LOCAL.put(key, version, deadline, payload)
    return payload


def cached(redis, collection, key: str, compute, ttl: int, owner=None):
    """``cached_payload`` for anything JSON holds (list totals, a buyer's e-mails)."""
    return json.loads(cached_payload(redis, collection, key, lambda: json.dumps(compute()).encode(), ttl,
                                     owner=owner))


# --- this process's copies and the request's versions --------------------------------------

# The request's versions, read with its session check (``request.environ``: one request's own).
_REQUEST_VERSIONS = "pc.collection_versions"
# Version keys this process has cached values under, per database (insertion-ordered sets).
_watched: dict[str, dict[str, None]] = {}
# Collections counted by owner this process has cached an owner's values of, per database: the
# session check reads their counters for its own partner (one key per owner would grow with them).
_watched_owned: dict[str, dict[str, None]] = {}


def watch(database: str, version_keys: list[str]) -> None:
    """Note that this process caches values under these version keys (read with the next requests' sessions)."""
    known = _watched.get(database, {})
    if any(name not in known for name in version_keys):
        # A new dict, not an update: another thread may be listing the old one for its session's MGET.
        _watched[database] = {**known, **dict.fromkeys(version_keys)}


def watched(database: str, owner=None) -> list[str]:
    """The version keys of ``database`` this process has cached values under: of an owner's values, ``owner``'s."""
    found = list(_watched.get(database, ()))
    if owner is not None:
        for collection in _watched_owned.get(database, ()):
            found += owner_version_keys(database, collection, owner)
    return found


def _watch_keys(database: str, collection: str, counters: tuple[str, ...] = (), owned: bool = False) -> None:
    """``watch`` what ``_version_keys`` names (``owned``: for an owner's values, whose counters each session
    check reads for its own partner)."""
    if not owned or collection not in _BY_OWNER:
        watch(database, _version_keys(database, collection, counters))
        return
    watch(database, [database_key(database), *counters])
    known = _watched_owned.get(database, {})
    if collection not in known:
        _watched_owned[database] = {**known, collection: None}


def remember_request_versions(values: dict) -> None:
    """The versions (key -> counter as Redis returned it) read at the start of this request."""
    if has_request_context():
        request.environ[_REQUEST_VERSIONS] = values


def request_versions() -> dict | None:
    return request.environ.get(_REQUEST_VERSIONS) if has_request_context() else None


def _version_keys(database: str, collection: str, counters: tuple[str, ...] = (), owner=None) -> list[str]:
    """The counters a value of ``collection`` (made of ``owner``'s documents only, when given) is cached under."""
    scope = owner_version_keys(database, collection, owner) if owner is not None and collection in _BY_OWNER \
        else [collection_key(database, collection)]
    return [database_key(database), *scope, *counters]


def _all_known(known: dict | None, version_keys: list[str]) -> bool:
    return known is not None and all(name in known for name in version_keys)


def watch_collection(database: str, collection: str, owned: bool = False) -> None:
    """``watch`` the version keys of ``database``'s ``collection`` (``owned``: of its signed-in partner's
    documents): the next session checks read them."""
    _watch_keys(database, collection, owned=owned)


def versions_read_first(database: str, collection: str, owner=None) -> bool:
    """Whether this request read the collection's version (of ``owner``'s documents, when given) with its session
    check, before anything else it read: then ``cached_payload`` files a value this request read under that
    version, which any write since ends."""
    return _all_known(request_versions(), _version_keys(database, collection, owner=owner))


def forget_request_versions() -> None:
    if has_request_context():
        request.environ.pop(_REQUEST_VERSIONS, None)


def database_version(redis, database: str, value):
    """The database's counter as read (``value``), or, when Redis had none (new, flushed, restarted), a random start.

    Every collection's counter restarts at 0 with a flush, and a process's copies outlive Redis:
    a copy held under "0.3" must not match the third write after a flush. With a random start the
    versions after a flush are never those before it. Set only where none is (``NX``): every
    process then reads the same start.
    """
    if value is not None:
        return value
    mine = secrets.randbelow(2**48) + 1
    before = redis.set(database_key(database), mine, nx=True, get=True)
    return mine if before is None else before


class LocalCopies:
    """Values this process read or computed, with their version and deadline; past ``limit`` bytes,
    the least recently used go first."""

    def __init__(self, limit: int):
        self.limit = limit
        self.size = 0
        self._held: OrderedDict[str, tuple[str, float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._held)

    def get(self, key: str, version: str) -> bytes | None:
        """The value held under ``key`` if it was held under ``version`` and its deadline has not passed."""
        with self._lock:
            held = self._held.get(key)
            if held is None:
                return None
            if held[0] != version or held[1] <= time.time():
                self._drop(key)
                return None
            self._held.move_to_end(key)
            return held[2]

    def put(self, key: str, version: str, deadline: float, payload: bytes) -> None:
        if len(payload) > self.limit // 16:
            return  # one huge value would push out everything else
        with self._lock:
            self._drop(key)
            self._held[key] = (version, deadline, payload)
            self.size += len(key) + len(payload)
            while self.size > self.limit:
                self._drop(next(iter(self._held)))

    def clear(self) -> None:
        with self._lock:
            self._held.clear()
            self.size = 0

    def _drop(self, key: str) -> None:
        held = self._held.pop(key, None)
        if held is not None:
            self.size -= len(key) + len(held[2])


# At most this many bytes of cached values per process (a kept page of 50 leads is about 3.5 KB).
LOCAL_BYTES = 16 * 1024 * 1024
LOCAL = LocalCopies(LOCAL_BYTES)
