"""The feed: activities stored per partner, read per user, paged by an opaque cursor that new arrivals never shift."""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import time

from flask import current_app
from pymongo.errors import DuplicateKeyError

from pc_app.toolkit import Actor, Invalid, count_capped, iso_utc

from ..models import Activity

MAX_MARK_IDS = 500


def now_ms() -> int:
    return int(time.time() * 1000)


def activity_id(event_id: str, partner_id: str) -> str:
    """The same event for the same partner always makes the same id: at-least-once delivery stores it once."""
    return hashlib.sha256(f"{event_id}:{partner_id}".encode()).hexdigest()[:24]


def store_activity(doc: dict) -> bool:
    """Insert one activity document; False when this event's activity for that partner already exists."""
    try:
        Activity._get_collection().insert_one(doc)
    except DuplicateKeyError:
        return False
    return True


def visible_audiences(user) -> list[str]:
    """Owners see owner-only activities too; members see the rest."""
    return ["members", "owners"] if user.is_partner_owner else ["members"]


def encode_cursor(created_ms: int, item_id: str) -> str:
    return base64.urlsafe_b64encode(f"{created_ms}:{item_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str, field: str = "cursor") -> tuple[int, str]:
    """``(created_ms, id)`` of a cursor; anything else is a 422 naming ``field``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, item_id = raw.split(":", 1)
        created_ms = int(created)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise Invalid(field, "Not a cursor this API handed out.") from None
    if len(item_id) != 24 or not all(c in "0123456789abcdef" for c in item_id) or created_ms < 0:
        raise Invalid(field, "Not a cursor this API handed out.")
    return created_ms, item_id


def after_position(created_ms: int, item_id: str) -> dict:
    """Activities newer than a position (the stream's replay)."""
    return {"$or": [{"created_ms": {"$gt": created_ms}}, {"created_ms": created_ms, "_id": {"$gt": item_id}}]}


def before_position(created_ms: int, item_id: str) -> dict:
    """Activities older than a position (the next page)."""
    return {"$or": [{"created_ms": {"$lt": created_ms}}, {"created_ms": created_ms, "_id": {"$lt": item_id}}]}


def _base_filter(user) -> dict:
    return {"partner": str(user.partner), "audience": {"$in": visible_audiences(user)}}


def _unread(user_id: str) -> dict:
    # $nin, not $ne: some wire-compatible servers compare $ne with the whole array.
    return {"read_by": {"$nin": [user_id]}}


def list_activities(user, *, limit: int, cursor: str | None = None, unread_only: bool = False,
                    types: list[str] | None = None, since: dt.datetime | None = None) -> dict:
    """One page, newest first: ``{items, nextCursor, unreadCount}`` (two aggregations).

    The cursor is the last item's (created_ms, id): items that arrive meanwhile are newer than
    every page already read, so the next page neither repeats nor skips anything.
    """
    collection = Activity._get_collection()
    match = _base_filter(user)
    user_id = str(user.id)
    clauses = []
    if unread_only:
        match.update(_unread(user_id))
    if types:
        match["type"] = {"$in": list(types)}
    if since is not None:
        match["created_ms"] = {"$gte": int(since.timestamp() * 1000)}
    if cursor:
        clauses.append(before_position(*decode_cursor(cursor)))
    if clauses:
        match = {"$and": [match, *clauses]}
    docs = list(collection.aggregate([{"$match": match}, {"$sort": {"created_ms": -1, "_id": -1}},
                                      {"$limit": limit + 1}]))
    more = len(docs) > limit
    docs = docs[:limit]
    next_cursor = encode_cursor(int(docs[-1]["created_ms"]), str(docs[-1]["_id"])) if more and docs else None
    return {"items": [serialize(doc, user_id) for doc in docs], "nextCursor": next_cursor, **unread_count(user)}


def unread_count(user) -> dict:
    """``{unreadCount, unreadCountCapped}``: the activities this user may see and has not read,
    counted up to ``ACTIVITY_UNREAD_COUNT_CAP`` (a badge shows "99+"), so a partner who never
    reads its feed does not make every page of it count the whole history."""
    cap = current_app.config["ACTIVITY_UNREAD_COUNT_CAP"]
    found = count_capped(Activity._get_collection(), {**_base_filter(user), **_unread(str(user.id))}, cap)
    return {"unreadCount": min(found, cap), "unreadCountCapped": found > cap}


def mark_read(user, *, ids: list[str] | None = None, everything: bool = False) -> dict:
    """Mark some or all visible activities read for this user; repeating it changes nothing.

    :return: ``{marked, unreadCount}``; unknown or foreign ids are ignored (they cannot be probed).
    """
    if not everything and not ids:
        raise Invalid("ids", "Give the ids to mark read, or all: true.")
    if ids and len(ids) > MAX_MARK_IDS:
        raise Invalid("ids", f"At most {MAX_MARK_IDS} ids at once; use all: true for everything.")
    match = {**_base_filter(user), **_unread(str(user.id))}
    if not everything:
        match["_id"] = {"$in": list(dict.fromkeys(ids))}
    result = Activity._get_collection().update_many(match, {"$addToSet": {"read_by": str(user.id)}})
    return {"marked": int(result.modified_count), **unread_count(user)}


def replay_after(user, created_ms: int, item_id: str, limit: int = 500) -> list[dict]:
    """What a stream missed after a position, oldest first, as the stream sends it."""
    match = {"$and": [_base_filter(user), after_position(created_ms, item_id)]}
    docs = Activity._get_collection().aggregate([{"$match": match}, {"$sort": {"created_ms": 1, "_id": 1}},
                                                 {"$limit": limit}])
    return [serialize(doc, str(user.id)) for doc in docs]


def actor_of(actor: Actor | None, name: str | None) -> dict | None:
    if not actor:
        return None
    if actor.startswith("user:"):
        return {"type": "user", "id": actor[5:], "name": name}
    return {"type": actor, "id": None, "name": name}


def serialize(doc: dict, user_id: str | None = None) -> dict:
    """The API's activity (list items and stream events alike)."""
    return {
        "id": str(doc["_id"]),
        "type": doc["type"],
        "sentence": doc["sentence"],
        "icon": doc.get("icon") or "bell",
        "audience": doc.get("audience") or "members",
        "actor": actor_of(doc.get("actor"), doc.get("actor_name")),
        "subjects": list(doc.get("subjects") or []),
        "data": dict(doc.get("data") or {}),
        "eventId": doc.get("event_id"),
        "occurredAt": iso_utc(doc.get("occurred_at")),
        "createdAt": iso_utc(doc.get("created_at")),
        "read": bool(user_id and user_id in (doc.get("read_by") or [])),
        "cursor": encode_cursor(int(doc["created_ms"]), str(doc["_id"])),
    }
