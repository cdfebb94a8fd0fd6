"""The signed-in user and partner of a request, read from MongoDB once per write to them.

Every signed-in request needs its token's session (Redis), its user and, on most routes, its
partner (MongoDB). Reading the user and partner on every request cost two MongoDB round trips
a request, the largest share of a warm browse on the stand-in. They are kept in Redis under
write versions (``pc_app.collection_versions``) counted per document: a write through the app
that names the user or partner by ``_id`` (a deactivation, a role change, a suspension, a
sign-in's ``last_sign_in_at``) ends what was kept of that document only, and a write that may
reach any of them (an ``update_many``) ends all of them. So a change made through the API or
``pc-app`` takes effect on the very next request, as it did before; one made outside the app
(mongosh) takes effect within ``AUTH_STATE_CACHE_SECONDS``, and 0 turns the cache off.

The session check, both versions and both kept documents come back in one ``MGET``, with the
versions of what this process caches (``collection_versions.watched``), for the route to use. When
neither document is kept, both are read in one round trip (an aggregation of the user with a
``$unionWith`` of the partner); a sign-in keeps both for the requests that follow it. The kept
documents are the stored BSON, decoded with the collection's own codec options and built into
models by mongoengine's ``_from_son``, exactly as a read from the database would be; a worker
lends the document it built to the next request that finds the same bytes (``lent_documents``). The
password hash is never put in Redis: a kept user carries ``PASSWORD_KEPT_OUT`` in its place,
which says that a password is set and which no password verifies (services that check a
password read the user by e-mail from the database).

A route that reads something of the signed-in partner's on every request (browse: the e-mails
its partner owns) can have that read go in the same round trip, when the request must read the
user or partner from the database anyway: ``reads_along`` names the reads, ``read_along`` hands
the route their rows.
"""
from __future__ import annotations

from functools import wraps
from typing import Callable

import bson
from flask import current_app, has_request_context, request
from redis.exceptions import RedisError

from ...collection_versions import (count_writes_by_document, database_key, database_version, document_version_keys,
                                   keep, kept_under, remember_request_versions, request_versions, version_of,
                                   versions, versions_read_first, watch_collection, watched)
from ...db import WHOLE_BATCH, is_object_id
from ...redis_client import get_redis
from ..models import Partner, User
from . import lent_documents, sessions

PREFIX = "pc:auth:kept:"
# Stands for a stored password hash in a kept user: truthy (a password is set) but not a hash.
PASSWORD_KEPT_OUT = "kept-in-the-database"
# (model, id) -> (version, kept bytes or None, document read or None): what the session check fetched,
# for the request's first loads.
_PREFETCHED = "pc.signed_in.prefetched"
# The token's partner id, as the session check saw it.
_PARTNER_ID = "pc.signed_in.partner_id"
# name -> (collection name, pipeline of a partner id): the reads to go with the signed-in documents' read.
_ALONG = "pc.signed_in.along"
# name -> (partner id, rows): what went with it.
_ALONG_ROWS = "pc.signed_in.along_rows"
# Tags the rows of a read along (no user or partner document has this field).
_ALONG_TAG = "pcReadAlong"


def count_writes_per_document() -> None:
    """Have writes to users and partners counted per document as well (``collection_versions``).

    Called when the app is built (``auth.init_auth``), so every process that writes through the
    app's client counts them so, the RQ worker and the scheduler as well as the API: a job's write
    to one user ends what the API kept of that user.
    """
    count_writes_by_document(User._meta["collection"], Partner._meta["collection"])


def _kept_key(database: str, collection: str, document_id) -> str:
    return f"{PREFIX}{database}.{collection}:{document_id}"


def _ttl() -> int:
    return int(current_app.config["AUTH_STATE_CACHE_SECONDS"])


def live_refresh_jti(claims: dict) -> str | None:
    """The session's live refresh jti (as ``sessions.live_refresh_jti``), fetching the kept user and partner with it."""
    session_id = claims.get("sid")
    if not session_id or not isinstance(session_id, str):
        return None
    if _ttl() <= 0 or not has_request_context():
        return sessions.live_refresh_jti(session_id)
    (live,) = _fetch_kept(claims.get("sub"), claims.get("partnerId"), sessions.session_key(session_id))
    return live.decode() if isinstance(live, bytes) else live


def user_and_partner(user: User) -> tuple[User, Partner | None]:
    """The user and their partner as stored now, kept for the requests that follow (a sign-in's answer)."""
    if _ttl() > 0 and has_request_context():
        try:
            _fetch_kept(user.id, user.partner)
        except RedisError:
            pass  # each load reads the database
    fresh = load(User, user.id) or user
    return fresh, (load(Partner, fresh.partner) if fresh.partner else None)


def _fetch_kept(user_id, partner_id, *more_keys: str) -> list:
    """Fetch the kept user and partner, their versions and those this process caches values under, in one
    ``MGET`` with ``more_keys``, whose values it returns."""
    database = User._get_collection().database.name
    documents = [(User, str(user_id)), (Partner, str(partner_id))]
    version_keys = [database_key(database)]
    for model, document_id in documents:
        version_keys += document_version_keys(database, model._get_collection_name(), document_id)
    # And the versions this process caches values under (list pages, totals): read before the
    # route reads anything, they let ``cached_payload`` answer from this process's copy.
    version_keys += [name for name in watched(database, owner=partner_id) if name not in version_keys]
    kept_keys = [_kept_key(database, model._get_collection_name(), document_id) for model, document_id in documents]
    redis = get_redis()
    values = redis.mget([*more_keys, *kept_keys, *version_keys])
    more, kept, version_values = values[:len(more_keys)], values[len(more_keys):-len(version_keys)], \
        values[-len(version_keys):]
    version_values[0] = database_version(redis, database, version_values[0])
    remember_request_versions(dict(zip(version_keys, version_values)))
    prefetched = {}
    for index, ((model, document_id), stored) in enumerate(zip(documents, kept)):
        version = version_of(version_values[0], *version_values[1 + 2 * index:3 + 2 * index])
        prefetched[(model, document_id)] = (version, kept_under(stored, version), None)
    request.environ[_PREFETCHED] = prefetched
    request.environ[_PARTNER_ID] = str(partner_id)
    return more


def reads_along(**reads: tuple[str, Callable[[str], list[dict]]]):
    """A route decorator, above ``login_required``: when this request reads its signed-in user or partner
    from the database, each read (name -> ``(collection name, pipeline_of(partner id))``) goes in that
    same round trip; ``read_along(name, partner_id)`` gives its rows. A route whose user and partner are
    kept makes its reads as usual. Each read is of the partner's own documents: what the route keeps of
    it is cached with ``owner=`` the partner (``collection_versions.owner_version_keys``)."""
    def decorate(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            request.environ[_ALONG] = reads
            # Before the session check: it then reads their collections' versions, even in a
            # process that has kept nothing under them yet (see ``_along_stages``).
            database = User._get_collection().database.name
            for collection, _pipeline_of in reads.values():
                watch_collection(database, collection, owned=True)
            return fn(*args, **kwargs)
        return wrapper
    return decorate


def read_along(name: str, partner_id) -> list[dict] | None:
    """The rows of ``reads_along``'s read ``name`` for ``partner_id``, or None when this request did not make it."""
    if not has_request_context():
        return None
    found = request.environ.get(_ALONG_ROWS, {}).get(name)
    return found[1] if found is not None and found[0] == str(partner_id) else None


def _along_stages() -> list[tuple[str, dict]]:
    """``(name, $unionWith stage)`` of each read along still to make (each is made once per request)."""
    reads = request.environ.pop(_ALONG, None) if has_request_context() else None
    partner_id = request.environ.get(_PARTNER_ID) if reads else None
    if not reads or not is_object_id(partner_id):
        return []
    database = User._get_collection().database.name
    # Only a read whose collection's version the session check read (before this read): what the
    # route keeps of it (``cached``) is then filed under a version that any write since has ended.
    return [(name, {"$unionWith": {"coll": collection, "pipeline": [
        *pipeline_of(partner_id), {"$addFields": {_ALONG_TAG: name}}]}})
        for name, (collection, pipeline_of) in reads.items() if versions_read_first(database, collection, partner_id)]


def _keep_along(along: list[tuple[str, dict]], rows: list[dict]) -> list[dict]:
    """``rows`` without those of the reads ``along``, which are filed for ``read_along`` (once all came back)."""
    if not along:
        return rows
    partner_id = request.environ[_PARTNER_ID]
    found: dict[str, tuple[str, list]] = {name: (partner_id, []) for name, _stage in along}
    mine = []
    for row in rows:
        name = row.pop(_ALONG_TAG, None)
        if name is None:
            mine.append(row)
        elif name in found:
            found[name][1].append(row)
    request.environ[_ALONG_ROWS] = found
    return mine


def load(model, document_id):
    """The ``User`` or ``Partner`` with this id as stored now, or None: from Redis while no write has touched it."""
    # Ids are stored as their 24-hex strings (``db.BaseDocument``); an ObjectId would match nothing on MongoDB.
    document_id = str(document_id)
    if not is_object_id(document_id):
        return None
    collection = model._get_collection()
    if _ttl() <= 0:
        return _built(model, collection.find_one({"_id": document_id}))
    try:
        version, kept, son = _take_prefetched(model, document_id) or _kept_now(model, document_id)
    except RedisError:
        return _built(model, collection.find_one({"_id": document_id}))
    if kept is not None:
        return _built_from_kept(model, document_id, kept)
    if son is None:
        son = _read_and_keep(model, document_id, version)
    return _built(model, son)


def _prefetched() -> dict:
    """What the session check fetched, while no write has run in this request (a write drops the request's versions)."""
    if not has_request_context() or request_versions() is None:
        return {}
    return request.environ.get(_PREFETCHED, {})


def _take_prefetched(model, document_id: str):
    # The prefetched version serves the first load only: a later one in the same request (after
    # the route wrote the partner, say) asks Redis again and so sees that write.
    return _prefetched().pop((model, document_id), None)


def _kept_now(model, document_id: str) -> tuple[str, bytes | None, None]:
    collection = model._get_collection()
    database = collection.database.name
    version, (stored,) = versions(get_redis(), database, document_version_keys(database, collection.name, document_id),
                                  _kept_key(database, collection.name, document_id))
    return version, kept_under(stored, version), None


def _read_and_keep(model, document_id: str, version: str):
    """Read the document and keep it under ``version``; when the request's other signed-in document
    must be read too, read both in one round trip and keep both."""
    collection = model._get_collection()
    prefetched = _prefetched()
    other = next(((other_model, other_id, other_version)
                  for (other_model, other_id), (other_version, kept, son) in prefetched.items()
                  if other_model is not model and kept is None and son is None and is_object_id(other_id)), None)
    along = _along_stages()
    if other is None and not along:
        son = collection.find_one({"_id": document_id})
    else:
        stages = [{"$match": {"_id": document_id}}]
        if other is not None:
            other_model, other_id, other_version = other
            stages.append({"$unionWith": {"coll": other_model._get_collection_name(),
                                          "pipeline": [{"$match": {"_id": other_id}}]}})
        stages += [stage for _name, stage in along]
        # In one batch: what goes along may be more than a cursor's first 101 rows (a buyer's e-mails).
        read = list(collection.aggregate(stages, batchSize=WHOLE_BATCH))
        found = {document["_id"]: document for document in _keep_along(along, read)}
        son = found.get(document_id)
        if other is not None:
            other_son = found.get(other_id)
            _keep(other_model, other_id, other_version, other_son)
            prefetched[(other_model, other_id)] = (other_version, None, other_son)
    _keep(model, document_id, version, son)
    return son


def _keep(model, document_id: str, version: str, son: dict | None) -> None:
    if son is not None:
        key = _kept_key(model._get_collection().database.name, model._get_collection_name(), document_id)
        keep(get_redis(), key, version, bson.encode(_without_secrets(son)), _ttl())


def _built_from_kept(model, document_id: str, kept: bytes):
    """The document these kept bytes hold, built once per worker while the bytes stay the same (``lent_documents``)."""
    collection = model._get_collection()
    return lent_documents.borrow(
        (model, collection.database.name, document_id), kept,
        lambda: model._from_son(bson.decode(kept, codec_options=collection.codec_options)))


def _without_secrets(son: dict) -> dict:
    if son.get("password_hash"):
        return {**son, "password_hash": PASSWORD_KEPT_OUT}
    return son


def _built(model, son):
    return None if son is None else model._from_son(son)
