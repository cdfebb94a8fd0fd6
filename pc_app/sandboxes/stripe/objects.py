"""What every Stripe answer shares: prefixed ids, list objects with cursors, and ``expand``."""
from __future__ import annotations

import copy
import secrets
import string
import time

from .errors import StripeError

ID_ALPHABET = string.ascii_letters + string.digits
MAX_LIMIT, DEFAULT_LIMIT = 100, 10
MAX_EXPAND_DEPTH = 4


def new_id(prefix: str, length: int = 24) -> str:
    """A Stripe-style id: ``pi_`` and 24 letters or digits."""
    return prefix + "_" + "".join(secrets.choice(ID_ALPHABET) for _ in range(length))


def now() -> int:
    return int(time.time())


def list_object(url: str, data: list[dict], has_more: bool = False) -> dict:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def paginate(items: list[dict], url: str, params: dict) -> dict:
    """A list object of ``items`` (newest first) from ``limit`` and ``starting_after``/``ending_before``."""
    limit = params.get("limit", DEFAULT_LIMIT)
    if not 1 <= limit <= MAX_LIMIT:
        raise StripeError(400, f"Invalid limit: must be between 1 and {MAX_LIMIT}", param="limit")
    created = params.get("created")
    if created:
        items = [i for i in items if _in_range(i.get("created", 0), created)]
    ids = [i["id"] for i in items]
    if params.get("starting_after") and params.get("ending_before"):
        raise StripeError(400, "You may only specify one of these parameters: starting_after, ending_before.",
                          code="parameters_exclusive", param="ending_before")
    if params.get("starting_after"):
        cursor = params["starting_after"]
        if cursor not in ids:
            raise StripeError(400, f"No such object: '{cursor}'", code="resource_missing", param="starting_after")
        following = items[ids.index(cursor) + 1:]
        return list_object(url, following[:limit], len(following) > limit)
    if params.get("ending_before"):
        cursor = params["ending_before"]
        if cursor not in ids:
            raise StripeError(400, f"No such object: '{cursor}'", code="resource_missing", param="ending_before")
        preceding = items[:ids.index(cursor)]
        return list_object(url, preceding[-limit:], len(preceding) > limit)
    return list_object(url, items[:limit], len(items) > limit)


def _in_range(value: int, bounds: dict) -> bool:
    checks = {"eq": value == bounds.get("eq"), "gt": value > bounds.get("gt", 0), "gte": value >= bounds.get("gte", 0),
              "lt": value < bounds.get("lt", 0), "lte": value <= bounds.get("lte", 0)}
    return all(checks[key] for key in bounds)


def expanded(obj: dict, paths: list[str], lookup) -> dict:
    """A copy of ``obj`` with the id fields named by ``paths`` (dotted, ``data.`` for lists) replaced by
    the objects; ``lookup(id)`` finds an object or returns None."""
    result = copy.deepcopy(obj)
    for path in paths:
        parts = path.split(".")
        if len(parts) > MAX_EXPAND_DEPTH:
            raise StripeError(400, f"You cannot expand more than {MAX_EXPAND_DEPTH} levels of a property. "
                                   f"Property: {path}", param="expand")
        _expand_into(result, parts, path, lookup)
    return result


def _expand_into(node, parts: list[str], path: str, lookup) -> None:
    if isinstance(node, dict) and node.get("object") == "list" and parts[0] == "data":
        for item in node["data"]:
            _expand_into(item, parts[1:], path, lookup)
        return
    if not parts:
        return
    field = parts[0]
    if not isinstance(node, dict) or field not in node:
        raise StripeError(400, f"This property cannot be expanded ({path}).", param="expand")
    value = node[field]
    if len(parts) == 1 and not (value is None or isinstance(value, str) or
                                (isinstance(value, dict) and "id" in value)):
        raise StripeError(400, f"This property cannot be expanded ({path}).", param="expand")
    if isinstance(value, str):
        found = lookup(value)
        if found is None:
            raise StripeError(400, f"This property cannot be expanded ({path}).", param="expand")
        node[field] = value = copy.deepcopy(found)
    if value is not None and len(parts) > 1:
        _expand_into(value, parts[1:], path, lookup)
