"""Retention: activities older than ``ACTIVITY_RETENTION_DAYS`` go, through the TTL index where the server has one.

The hourly job owns the TTL index on ``created_at``: it creates it with the setting's lifetime,
or changes the lifetime when the setting changed (``collMod``; where a server accepts
``collMod`` without applying it, the index is dropped and created again). Then it deletes
whatever is older than the setting itself, which covers servers without a TTL monitor and the
time before MongoDB's monitor (every 60 s) gets to it.
"""
from __future__ import annotations

import logging

from flask import current_app
from pymongo.errors import PyMongoError

from ..models import Activity
from . import feed

log = logging.getLogger("plugins.activity.retention")

TTL_INDEX = "created_at_ttl"


def retention_seconds() -> int:
    return int(current_app.config["ACTIVITY_RETENTION_DAYS"]) * 24 * 3600


def _ttl_index(collection) -> dict | None:
    return next((index for index in collection.list_indexes() if dict(index["key"]) == {"created_at": 1}), None)


def align_ttl_index() -> bool:
    """Create the TTL index, or set its lifetime to the setting; False when the server refuses (the purge still runs)."""
    collection = Activity._get_collection()
    wanted = retention_seconds()
    try:
        index = _ttl_index(collection)
        if index is None:
            collection.create_index([("created_at", 1)], expireAfterSeconds=wanted, name=TTL_INDEX)
            return True
        if index.get("expireAfterSeconds") == wanted:
            return True
        collection.database.command("collMod", collection.name,
                                    index={"keyPattern": {"created_at": 1}, "expireAfterSeconds": wanted})
        if (_ttl_index(collection) or {}).get("expireAfterSeconds") != wanted:
            collection.drop_index(index["name"])
            collection.create_index([("created_at", 1)], expireAfterSeconds=wanted, name=TTL_INDEX)
        return True
    except PyMongoError as exc:
        log.warning("could not align the activity TTL index: %s", exc)
        return False


def purge_expired(now_ms: int | None = None) -> int:
    """Delete activities created before the retention period; returns how many."""
    align_ttl_index()
    cutoff = (now_ms if now_ms is not None else feed.now_ms()) - retention_seconds() * 1000
    deleted = Activity._get_collection().delete_many({"created_ms": {"$lt": cutoff}}).deleted_count
    if deleted:
        log.info("retention removed %d activities older than %d days", deleted,
                 current_app.config["ACTIVITY_RETENTION_DAYS"])
    return deleted
