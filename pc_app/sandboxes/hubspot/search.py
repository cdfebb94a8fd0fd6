"""HubSpot's CRM search, shared by deals and contacts: filter groups, one sort, paging and the result cap.

HubSpot answers at most 10,000 results per query (``searchResultCap``): paging past it is a 400, so a
client that needs more must narrow the query (e.g. move a ``hs_lastmodifieddate`` window) instead.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from flask import jsonify

from .errors import hubspot_error
from .state import sandbox_state

SEARCH_LIMIT = 200
DATE_PROPERTIES = ("createdate", "hs_lastmodifieddate", "lastmodifieddate", "closedate")


def comparable(name: str, value):
    """Dates compare as epoch milliseconds (HubSpot accepts ms or ISO), numbers as numbers."""
    if value is None:
        return None
    return _comparable_text(name, str(value))


@lru_cache(maxsize=100_000)
def _comparable_text(name: str, text: str):
    # Searches over tens of thousands of records parse the same timestamps page after page.
    if name in DATE_PROPERTIES:
        if text.lstrip("-").isdigit():
            return int(text)
        try:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.timezone.utc)
        return int(parsed.timestamp() * 1000)
    try:
        return float(text)
    except ValueError:
        return text.lower()


def filter_matches(record: dict, flt: dict) -> bool:
    name, operator = flt.get("propertyName"), flt.get("operator", "EQ")
    actual = comparable(name, record["properties"].get(name))
    if operator == "HAS_PROPERTY":
        return actual not in (None, "")
    if operator == "NOT_HAS_PROPERTY":
        return actual in (None, "")
    if operator in ("IN", "NOT_IN"):
        values = [comparable(name, v) for v in flt.get("values") or []]
        return (actual in values) == (operator == "IN")
    expected = comparable(name, flt.get("value"))
    if operator == "EQ":
        return actual == expected
    if operator == "NEQ":
        return actual != expected
    if actual is None or expected is None or type(actual) is not type(expected):
        return False
    if operator == "BETWEEN":
        high = comparable(name, flt.get("highValue"))
        return high is not None and expected <= actual <= high
    return {"GT": actual > expected, "GTE": actual >= expected, "LT": actual < expected,
            "LTE": actual <= expected}.get(operator, False)


def _sort_key(value):
    """Missing values last, numbers by value, text alphabetically."""
    if value is None:
        return (2, 0, "")
    if isinstance(value, (int, float)):
        return (0, value, "")
    return (1, 0, str(value))


def search(records, body: dict, view):
    """Answer a search request over ``records`` (live objects); ``view(record, properties)`` shapes each."""
    groups = body.get("filterGroups") or []
    limit = body.get("limit") or 10
    if not isinstance(limit, int) or not 1 <= limit <= SEARCH_LIMIT:
        return hubspot_error(400, f"limit must be between 1 and {SEARCH_LIMIT}.", "VALIDATION_ERROR")
    try:
        offset = int(body.get("after") or 0)
    except (TypeError, ValueError):
        return hubspot_error(400, "after must be a paging cursor from a previous answer.", "VALIDATION_ERROR")
    cap = sandbox_state().settings.search_result_cap
    if offset >= cap:
        return hubspot_error(400, f"The search endpoints are limited to {cap} total results for any given "
                                  f"query; narrow the query instead of paging past result {cap}.",
                             "VALIDATION_ERROR")
    found = list(records)
    if groups:
        found = [r for r in found if any(all(filter_matches(r, f) for f in (grp.get("filters") or []))
                                         for grp in groups)]
    found.sort(key=lambda r: int(r["id"]))
    for sort in reversed(body.get("sorts") or []):
        if isinstance(sort, str):
            name, descending = sort.lstrip("-"), sort.startswith("-")
        else:
            name, descending = sort.get("propertyName"), sort.get("direction", "ASCENDING") == "DESCENDING"
        found.sort(key=lambda r, n=name: _sort_key(comparable(n, r["properties"].get(n))), reverse=descending)
    end = min(offset + limit, cap)
    properties = body.get("properties") or None
    answer = {"total": len(found), "results": [view(r, properties) for r in found[offset:end]]}
    if end < min(len(found), cap):
        answer["paging"] = {"next": {"after": str(end)}}
    return jsonify(answer)
