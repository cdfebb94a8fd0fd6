"""The four synced fields in both vocabularies: a lead (and its link) on PC's side, a deal's properties on HubSpot's.

Values are compared in one canonical form: ``dealStatus`` as the stage id it maps to (HubSpot has one
"Lost" stage for three lost statuses), ``dealAmount`` as integer cents (HubSpot's decimal string is
converted exactly, never through floats), ``dealName`` as trimmed text, ``closeDate`` as
``YYYY-MM-DD`` (or None).
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from pc_app.toolkit import iso_utc_ms, vocabulary

FIELDS = ("dealStatus", "dealAmount", "dealName", "closeDate")
# Our marker on every deal the sync creates: the lead's id. HubSpot has no idempotency keys, so a
# create that may have happened is looked up by it before creating again.
MARKER_PROPERTY = "pc_lead_id"
DEAL_PROPERTIES = ["dealstage", "amount", "dealname", "closedate", "pipeline", "hs_lastmodifieddate",
                   MARKER_PROPERTY]
CONTACT_PROPERTIES = ["email", "firstname", "lastname", "phone", "company", "jobtitle"]
CLOSED_STATUSES = frozenset(s for s in vocabulary.DEAL_STATUSES if s == "won" or s.startswith("lost_"))
NAME_LIMIT = 300


class UnreadableValue(ValueError):
    """A HubSpot property value that cannot be read as the field's type (an amount like ``12,5``)."""


def cents_from_amount(amount) -> int:
    """HubSpot's ``amount`` (a decimal string; empty is none) as integer cents, rounded half up."""
    if amount is None or str(amount).strip() == "":
        return 0
    try:
        value = Decimal(str(amount).strip())
    except InvalidOperation:
        raise UnreadableValue(f"amount {amount!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise UnreadableValue(f"amount {amount!r} is not a positive number")
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def amount_from_cents(cents: int) -> str:
    """Integer cents as HubSpot's decimal string: 123456 → ``"1234.56"``."""
    cents = int(cents or 0)
    return f"{cents // 100}.{cents % 100:02d}"


def date_from_hubspot(value) -> str | None:
    """HubSpot's ``closedate`` (epoch milliseconds or ISO 8601) as ``YYYY-MM-DD`` in UTC."""
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    try:
        if text.lstrip("-").isdigit():
            moment = dt.datetime.fromtimestamp(int(text) / 1000, dt.timezone.utc)
        else:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is not None:
                moment = moment.astimezone(dt.timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise UnreadableValue(f"closedate {value!r} is not a date") from None
    return moment.date().isoformat()


def hubspot_date(day: str | None) -> str:
    """``YYYY-MM-DD`` as the midnight UTC timestamp HubSpot stores for a date ("" clears it)."""
    return f"{day}T00:00:00.000Z" if day else ""


def derived_deal_name(lead) -> str:
    """The deal's name while nobody renamed it: the lead's company and person."""
    person = " ".join(part for part in (lead.first_name, lead.last_name) if part).strip()
    company = (lead.company or "").strip()
    name = f"{company} - {person}" if company and person else company or person or lead.email
    return name[:NAME_LIMIT]


def status_for_stage(stage: str | None, mapping: dict, current: str | None = None) -> str | None:
    """The dealStatus a stage stands for: the current one if it maps there, else the first that does."""
    if stage is None:
        return None
    if current is not None and mapping.get(current) == stage:
        return current
    for status in vocabulary.DEAL_STATUSES:
        if mapping.get(status) == stage:
            return status
    return None


def pc_values(lead, link, mapping: dict) -> dict:
    """The lead's side, canonical."""
    return {"dealStatus": mapping.get(lead.deal_status), "dealAmount": int(lead.deal_amount or 0),
            "dealName": (link.deal_name or derived_deal_name(lead)).strip(), "closeDate": link.close_date}


def hubspot_values(properties: dict) -> dict:
    """The deal's side, canonical; raises ``UnreadableValue`` for a value that cannot be read."""
    return {"dealStatus": properties.get("dealstage") or None,
            "dealAmount": cents_from_amount(properties.get("amount")),
            "dealName": (properties.get("dealname") or "").strip(),
            "closeDate": date_from_hubspot(properties.get("closedate"))}


def deal_properties(values: dict) -> dict:
    """Canonical values as the deal properties to write."""
    out = {}
    for field, value in values.items():
        if field == "dealStatus":
            out["dealstage"] = value
        elif field == "dealAmount":
            out["amount"] = amount_from_cents(value)
        elif field == "dealName":
            out["dealname"] = value
        elif field == "closeDate":
            out["closedate"] = hubspot_date(value)
    return out


def shown(field: str, value, mapping: dict, current_status: str | None = None):
    """A canonical value as the API shows it (``dealStatus`` as a status, not a stage id)."""
    if field == "dealStatus":
        return status_for_stage(value, mapping, current_status) or value
    return value


def canonical(field: str, value, mapping: dict):
    """A value given in the API's terms (a status for ``dealStatus``) as the canonical value."""
    if field == "dealStatus":
        return mapping.get(value)
    if field == "dealName":
        return (value or "").strip()
    return value


def hubspot_change_time(properties: dict) -> str | None:
    """When HubSpot last changed the deal (its ``hs_lastmodifieddate``), ISO 8601."""
    return modified_ms_iso(properties.get("hs_lastmodifieddate"))


def modified_ms(value) -> int:
    """``hs_lastmodifieddate`` (ISO or epoch ms) as epoch milliseconds (0 when missing)."""
    if value is None or str(value).strip() == "":
        return 0
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return int(moment.timestamp() * 1000)


def modified_ms_iso(value) -> str | None:
    ms = modified_ms(value)
    return iso_utc_ms(ms) if ms else None
