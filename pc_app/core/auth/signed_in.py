"""The signed-in user and partner of a request, read from MongoDB once per write to their collections.

Every signed-in request needs its token's session (Redis), its user and, on most routes, its
partner (MongoDB). Reading the user and partner on every request cost two MongoDB round trips
a request, the largest share of a warm browse on the stand-in. They are kept in Redis under
the write versions of ``users`` and ``partners`` (``pc_app.collection_versions``): any write to
either collection through the app (a deactivation, a role change, a suspension, a sign-in's
``last_sign_in_at``) raises its version, and the next request reads the database again. So a
change made through the API or ``pc-app`` takes effect on the very next request, as it did
before; one made outside the app (mongosh) takes effect within ``AUTH_STATE_CACHE_SECONDS``,
and 0 turns the cache off.

The session check, both versions and both kept documents come back in one ``MGET``, with the
versions of what this process caches (``collection_versions.watched``), for the route to use. The kept
documents are the stored BSON, decoded with the collection's own codec options and built into
models by mongoengine's ``_from_son``, exactly as a read from the database would be. The
password hash is never put in Redis: a kept user carries ``PASSWORD_KEPT_OUT`` in its place,
which says that a password is set and which no password verifies (services that check a
password read the user by e-mail from the database).
"""
from __future__ import annotations

import bson
from bson import ObjectId
from flask import current_app, has_request_context, request
from redis.exceptions import RedisError

from ...collection_versions import (collection_key, database_key, database_version, keep, kept_under,
                                   remember_request_versions, version_of, versions, watched)
from ...db import is_object_id
from ...redis_client import get_redis
from ..models import Partner, User
from . import sessions

PREFIX = "pc:auth:kept:"
# Stands for a stored password hash in a kept user: truthy (a password is set) but not a hash.
PASSWORD_KEPT_OUT = "kept-in-the-database"
_PREFETCHED = "pc.signed_in.prefetched"


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
    database = User._get_collection().database.name
    user_id, partner_id = claims.get("sub"), claims.get("partnerId")
    version_keys = [database_key(database), collection_key(database, User._get_collection_name()),
                    collection_key(database, Partner._get_collection_name())]
    # And the versions this process caches values under (list pages, totals): read before the
    # route reads anything, they let ``cached_payload`` answer from this process's copy.
    version_keys += [name for name in watched(database) if name not in version_keys]
    keys = [sessions.session_key(session_id), _kept_key(database, User._get_collection_name(), user_id),
            _kept_key(database, Partner._get_collection_name(), partner_id), *version_keys]
    redis = get_redis()
    live, user, partner, *version_values = redis.mget(keys)
    version_values[0] = database_version(redis, database, version_values[0])
    remember_request_versions(dict(zip(version_keys, version_values)))
    database_value, users_version, partners_version = version_values[:3]
    request.environ[_PREFETCHED] = {
        (User, str(user_id)): (version_of(database_value, users_version), user),
        (Partner, str(partner_id)): (version_of(database_value, partners_version), partner),
    }
    return live.decode() if isinstance(live, bytes) else live


def load(model, document_id):
    """The ``User`` or ``Partner`` with this id as stored now, or None: from Redis while no write has touched its collection."""
    if not is_object_id(str(document_id)):
        return None
    oid = ObjectId(str(document_id))
    collection = model._get_collection()
    if _ttl() <= 0:
        return _built(model, collection.find_one({"_id": oid}))
    prefetched = request.environ.get(_PREFETCHED, {}) if has_request_context() else {}
    key = _kept_key(collection.database.name, collection.name, oid)
    try:
        # The prefetched version serves the first load only: a later one in the same request (after
        # the route wrote the partner, say) asks Redis again and so sees that write.
        version, stored = prefetched.pop((model, str(oid)), None) or _version_and_kept(collection, key)
    except RedisError:
        return _built(model, collection.find_one({"_id": oid}))
    kept = kept_under(stored, version)
    if kept is not None:
        return _built(model, bson.decode(kept, codec_options=collection.codec_options))
    son = collection.find_one({"_id": oid})
    if son is not None:
        keep(get_redis(), key, version, bson.encode(_without_secrets(son)), _ttl())
    return _built(model, son)


def _version_and_kept(collection, key: str) -> tuple[str, bytes | None]:
    version, (stored,) = versions(get_redis(), collection.database.name, collection.name, key)
    return version, stored


def _without_secrets(son: dict) -> dict:
    if son.get("password_hash"):
        return {**son, "password_hash": PASSWORD_KEPT_OUT}
    return son


def _built(model, son):
    return None if son is None else model._from_son(son)
