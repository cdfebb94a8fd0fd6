"""Notification preferences: per partner, per event type × channel, over each type's documented defaults."""
from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from pc_app.toolkit import Invalid, new_id, read_matching, utcnow

from ..activity_types import CHANNELS, activity_type, types_of
from ..models import ActivityPreferences, EmailOptOut


def storage_key(type_name: str) -> str:
    """Event names hold one '.'; stored keys use ':' so a dotted ``$set`` addresses one type."""
    return type_name.replace(".", ":")


def _stored(partner_id: str) -> dict:
    doc = ActivityPreferences._get_collection().find_one({"partner": str(partner_id)}, {"channels": 1})
    return (doc or {}).get("channels") or {}


def channels_for(partner_ids, type_name: str) -> dict[str, dict]:
    """``{partner_id: {channel: on}}`` for one type and several partners, in one query."""
    defaults = activity_type(type_name).defaults()
    key = storage_key(type_name)
    # The whole (small) map is read: some wire-compatible servers flatten dotted projections.
    found = {doc["partner"]: (doc.get("channels") or {}).get(key) or {}
             for doc in ActivityPreferences._get_collection().find(
                 {"partner": {"$in": [str(p) for p in partner_ids]}}, {"partner": 1, "channels": 1})}
    return {str(p): {channel: bool(found.get(str(p), {}).get(channel, defaults[channel])) for channel in CHANNELS}
            for p in partner_ids}


def preferences_of(partner_id: str) -> dict:
    """Every type with its defaults and the partner's effective channels."""
    stored = _stored(partner_id)
    items = []
    for name, spec in sorted(types_of().items()):
        defaults = spec.defaults()
        chosen = stored.get(storage_key(name)) or {}
        items.append({"type": name, "description": spec.description, "audience": spec.audience,
                      "defaults": defaults,
                      "channels": {channel: bool(chosen.get(channel, defaults[channel])) for channel in CHANNELS}})
    return {"partnerId": str(partner_id), "channels": list(CHANNELS), "types": items}


def update_preferences(partner_id: str, changes: dict) -> dict:
    """Set some channels of some types; unknown types or channels are a 422 naming each.

    One upsert with dotted ``$set`` per channel: atomic, and two owners changing different
    channels at once both keep their change.
    """
    known = types_of()
    errors: dict = {}
    updates: dict = {}
    if not isinstance(changes, dict) or not changes:
        raise Invalid("types", "Give at least one event type with the channels to change.")
    for type_name, channels in changes.items():
        if type_name not in known:
            errors[f"types.{type_name}"] = ["Unknown event type."]
            continue
        if not isinstance(channels, dict) or not channels:
            errors[f"types.{type_name}"] = ["Give channels as an object, e.g. {\"email\": false}."]
            continue
        for channel, value in channels.items():
            if channel not in CHANNELS:
                errors[f"types.{type_name}.{channel}"] = [f"Unknown channel; use {', '.join(CHANNELS)}."]
            elif not isinstance(value, bool):
                errors[f"types.{type_name}.{channel}"] = ["Must be true or false."]
            else:
                updates[f"channels.{storage_key(type_name)}.{channel}"] = value
    if errors:
        raise Invalid(errors=errors)
    collection = ActivityPreferences._get_collection()
    update = {"$set": {**updates, "updated_at": utcnow()}}
    try:
        result = collection.update_one({"partner": str(partner_id)}, update)
        if result.matched_count == 0:
            collection.insert_one({"_id": new_id(), "partner": str(partner_id), "channels": {}, "updated_at": utcnow()})
            collection.update_one({"partner": str(partner_id)}, update)
    except DuplicateKeyError:
        # Another request created the document first: apply ours to it.
        collection.update_one({"partner": str(partner_id)}, update)
    return preferences_of(partner_id)


def opt_out(user_id: str, partner_id: str | None, type_name: str) -> bool:
    """Turn one type's e-mail off for one person; True when it was on."""
    try:
        EmailOptOut._get_collection().insert_one({"_id": new_id(), "user": user_id, "partner": partner_id,
                                                  "type": type_name, "created_at": utcnow()})
    except DuplicateKeyError:
        return False
    return True


def opted_out_users(user_ids, type_name: str) -> set[str]:
    """Which of ``user_ids`` turned ``type_name``'s e-mail off.

    One person (the public unsubscribe page) is an equality, not a one-value ``$in``: our
    local stand-in tests ``$in`` row by row and read every opt-out for each page view.
    """
    ids = list(user_ids)
    if not ids:
        return set()
    match = {"user": ids[0] if len(ids) == 1 else {"$in": ids}, "type": type_name}
    return {doc["user"] for doc in read_matching(EmailOptOut._get_collection(), match, len(ids), {"user": 1})}
