"""Retention: activities older than ``ACTIVITY_RETENTION_DAYS`` go, through the TTL index where the server has one.

The TTL index on ``created_at`` is declared with the default retention; the hourly job first
makes the index's ``expireAfterSeconds`` match the setting (``collMod``), then deletes whatever
is older than the setting itself, which covers servers without a TTL monitor and the time
before MongoDB's monitor (every 60 s) gets to it.
"""
from __future__ import annotations

import logging

from flask import current_app
from pymongo.errors import PyMongoError

from ..models import Activity
from . import feed

log = logging.getLogger("plugins.activity.retention")


def retention_seconds() -> int:
    return int(current_app.config["ACTIVITY_RETENTION_DAYS"]) * 24 * 3600


def align_ttl_index() -> bool:
    """Set the TTL index's lifetime to the setting; False when the server refuses (the purge still runs)."""
    collection = Activity._get_collection()
    wanted = retention_seconds()
    try:
        for index in collection.list_indexes():
            if dict(index["key"]) == {"created_at": 1} and index.get("expireAfterSeconds") != wanted:
                collection.database.command("collMod", collection.name,
                                            index={"keyPattern": {"created_at": 1}, "expireAfterSeconds": wanted})
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
