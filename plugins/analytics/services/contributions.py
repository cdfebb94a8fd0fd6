"""What each event adds to which daily rollup: a pure function of the event, shared by folding and rebuild.

Every number the reports show starts here. An event lands on the UTC day it happened, so a
refund subtracts on the refund's day and past days never change. Money is counted in the
platform's currency (``ANALYTICS_CURRENCY``); an amount in another currency is not added to
any sum (it would be meaningless there) and is counted in ``otherCurrency`` instead, so the
gap is visible.
"""
from __future__ import annotations

import datetime as dt
import re

from pc_app.toolkit import is_object_id

MARKETPLACE = "marketplace"
PARTNER = "partner"
UNKNOWN_INDUSTRY = "unknown"
_INDUSTRY = re.compile(r"^[a-z][a-z0-9_]{0,59}$")


def rollup_id(scope: str, key: str, day: str) -> str:
    """``m:<day>`` for the marketplace, ``p:<partner id>:<day>`` for a partner."""
    return f"m:{day}" if scope == MARKETPLACE else f"p:{key}:{day}"


def parse_rollup_id(doc_id: str) -> tuple[str, str, str]:
    """``(scope, key, day)`` of a rollup id."""
    parts = doc_id.split(":")
    if parts[0] == "m":
        return MARKETPLACE, "all", parts[1]
    return PARTNER, parts[1], parts[2]


def event_day(occurred_at: dt.datetime) -> str:
    """The UTC day an event happened, ``YYYY-MM-DD``."""
    if occurred_at.tzinfo is None:
        occurred_at = occurred_at.replace(tzinfo=dt.timezone.utc)
    return occurred_at.astimezone(dt.timezone.utc).date().isoformat()


def industry_key(value) -> str:
    """The industry as a counter name segment; null or malformed ones are ``unknown``."""
    return value if isinstance(value, str) and _INDUSTRY.match(value) else UNKNOWN_INDUSTRY


def cents(value) -> int:
    """An amount from a payload as integer cents (anything else counts as 0)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def count(value) -> int:
    """A non-negative count from a payload (sync totals); anything else counts as 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def hours_between(start_iso, end: dt.datetime) -> int | None:
    """Whole hours (floor) from an ISO time to ``end``; None when the time is missing or unreadable."""
    if not isinstance(start_iso, str):
        return None
    try:
        start = dt.datetime.fromisoformat(start_iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    if start.tzinfo is None:
        start = start.replace(tzinfo=dt.timezone.utc)
    if end.tzinfo is None:
        end = end.replace(tzinfo=dt.timezone.utc)
    return max(int((end - start).total_seconds() // 3600), 0)


class _Sheet:
    """The counters one event adds, by rollup id (zeros dropped)."""

    def __init__(self, day: str):
        self.day = day
        self.docs: dict[str, dict[str, int]] = {}

    def add(self, scope: str, key, **counters: int) -> None:
        if scope == PARTNER and not is_object_id(key):
            return  # no partner to count it for
        doc = self.docs.setdefault(rollup_id(scope, key, self.day), {})
        for name, amount in counters.items():
            if amount:
                doc[name] = doc.get(name, 0) + amount

    def result(self) -> dict[str, dict[str, int]]:
        return {doc_id: counters for doc_id, counters in self.docs.items() if counters}


def contributions(name: str, partner_ids, payload: dict, occurred_at: dt.datetime,
                  currency: str) -> dict[str, dict[str, int]]:
    """``{rollup id: {counter: amount}}`` one event adds; empty for events that move no number.

    :param currency: the platform's currency; money in another one is not summed (``otherCurrency``).
    """
    sheet = _Sheet(event_day(occurred_at))
    handler = _HANDLERS.get(name)
    if handler is not None:
        handler(sheet, list(partner_ids or ()), payload or {}, occurred_at, currency)
    return sheet.result()


def contributions_of(event, currency: str) -> dict[str, dict[str, int]]:
    """``contributions`` of a ``pc_app.toolkit.Event``."""
    return contributions(event.name, event.partner_ids, event.payload, event.occurred_at, currency)


def _leaders(seller, buyer, *, gmv: int, revenue: int, sales: int = 0, refunds: int = 0) -> dict:
    """Per-partner sums kept in the marketplace's rollup (``sel:<id>:…``, ``buy:<id>:…``, net of refunds).

    The top sellers and buyers then come from one rollup per day, whatever the number of
    partners trading, instead of from every partner's rollups.
    """
    found: dict = {}
    if is_object_id(seller):
        found.update({f"sel:{seller}:sales": sales, f"sel:{seller}:refunds": refunds, f"sel:{seller}:gmv": gmv,
                      f"sel:{seller}:revenue": revenue})
    if is_object_id(buyer):
        found.update({f"buy:{buyer}:purchases": sales, f"buy:{buyer}:refunds": refunds,
                      f"buy:{buyer}:spend": gmv})
    return found


def _same_currency(payload: dict, currency: str) -> bool:
    return str(payload.get("currency") or currency).lower() == currency


# --- one function per event --------------------------------------------------------------------

def _listed(sheet, _partner_ids, p, _at, _currency):
    industry = industry_key(p.get("industry"))
    sheet.add(PARTNER, p.get("sellerPartnerId"), listed=1)
    sheet.add(MARKETPLACE, "all", **{"listed": 1, f"ind:{industry}:listed": 1})


def _delisted(sheet, partner_ids, p, _at, _currency):
    # The payload names no seller: the event concerns the seller alone.
    seller = partner_ids[0] if partner_ids else None
    sheet.add(PARTNER, seller, delisted=1)
    sheet.add(MARKETPLACE, "all", **{"delisted": 1, f"ind:{industry_key(p.get('industry'))}:delisted": 1})


def _viewed(sheet, partner_ids, p, _at, _currency):
    seller = partner_ids[0] if partner_ids else None
    first = 1 if p.get("firstView") else 0
    sheet.add(PARTNER, seller, views=1, uniqueViewers=first)
    sheet.add(PARTNER, p.get("viewerPartnerId"), viewsMade=1)
    sheet.add(MARKETPLACE, "all", views=1, uniqueViewers=first)


def _unmask_limit(sheet, _partner_ids, p, _at, _currency):
    sheet.add(PARTNER, p.get("partnerId"), unmaskLimitReached=1)
    sheet.add(MARKETPLACE, "all", unmaskLimitReached=1)


def _reserved(sheet, _partner_ids, p, _at, _currency):
    sheet.add(PARTNER, p.get("buyerPartnerId"), reserved=1)
    sheet.add(PARTNER, p.get("sellerPartnerId"), reservationsReceived=1)
    sheet.add(MARKETPLACE, "all", reserved=1)


def _reservation_counter(counter: str):
    def handler(sheet, _partner_ids, p, _at, _currency):
        sheet.add(PARTNER, p.get("buyerPartnerId"), **{counter: 1})
        sheet.add(MARKETPLACE, "all", **{counter: 1})
    return handler


def _purchase_succeeded(sheet, _partner_ids, p, at, currency):
    industry = industry_key(p.get("industry"))
    hours = hours_between(p.get("listedAt"), at)
    histogram = {} if hours is None else {f"tts:{hours}": 1}
    if not _same_currency(p, currency):
        sheet.add(PARTNER, p.get("sellerPartnerId"), sold=1, otherCurrency=1, **histogram)
        sheet.add(PARTNER, p.get("buyerPartnerId"), purchased=1, otherCurrency=1)
        sheet.add(MARKETPLACE, "all", **{"transactions": 1, "otherCurrency": 1, f"ind:{industry}:transactions": 1},
                  **_leaders(p.get("sellerPartnerId"), p.get("buyerPartnerId"), sales=1, gmv=0, revenue=0),
                  **histogram)
        return
    amount, fee, payout = cents(p.get("amount")), cents(p.get("platformFee")), cents(p.get("sellerPayout"))
    seller, buyer = p.get("sellerPartnerId"), p.get("buyerPartnerId")
    sheet.add(PARTNER, seller, sold=1, salesAmount=amount, salesFee=fee, salesPayout=payout, **histogram)
    sheet.add(PARTNER, buyer, purchased=1, spent=amount)
    sheet.add(MARKETPLACE, "all", **{"transactions": 1, "gmv": amount, "platformFee": fee, "sellerPayout": payout,
                                     f"ind:{industry}:transactions": 1, f"ind:{industry}:gmv": amount},
              **_leaders(seller, buyer, sales=1, gmv=amount, revenue=payout), **histogram)


def _purchase_failed(sheet, _partner_ids, p, _at, _currency):
    sheet.add(PARTNER, p.get("buyerPartnerId"), purchasesFailed=1)
    sheet.add(MARKETPLACE, "all", purchasesFailed=1)


def _purchase_refunded(sheet, _partner_ids, p, _at, currency):
    industry = industry_key(p.get("industry"))
    if not _same_currency(p, currency):
        sheet.add(PARTNER, p.get("sellerPartnerId"), salesRefunded=1, otherCurrency=1)
        sheet.add(PARTNER, p.get("buyerPartnerId"), purchasesRefunded=1, otherCurrency=1)
        sheet.add(MARKETPLACE, "all", **{"refunds": 1, "otherCurrency": 1, f"ind:{industry}:refunds": 1},
                  **_leaders(p.get("sellerPartnerId"), p.get("buyerPartnerId"), refunds=1, gmv=0, revenue=0))
        return
    amount, fee, payout = cents(p.get("amount")), cents(p.get("platformFee")), cents(p.get("sellerPayout"))
    seller, buyer = p.get("sellerPartnerId"), p.get("buyerPartnerId")
    sheet.add(PARTNER, seller, salesRefunded=1, refundedSalesAmount=amount, refundedSalesFee=fee,
              refundedPayout=payout)
    sheet.add(PARTNER, buyer, purchasesRefunded=1, refundedSpend=amount)
    sheet.add(MARKETPLACE, "all", **{"refunds": 1, "refundedGmv": amount, "refundedFee": fee,
                                     "refundedPayout": payout, f"ind:{industry}:refunds": 1,
                                     f"ind:{industry}:refundedGmv": amount},
              **_leaders(seller, buyer, refunds=1, gmv=-amount, revenue=-payout))


def _sync_completed(sheet, _partner_ids, p, _at, _currency):
    synced = count(p.get("created")) + count(p.get("updated")) + count(p.get("pulled"))
    counters = {"syncTasks": 1, "leadsSynced": synced, "syncConflicts": count(p.get("conflicts")),
                "syncErrors": count(p.get("errors"))}
    sheet.add(PARTNER, p.get("partnerId"), **counters)
    sheet.add(MARKETPLACE, "all", **counters)


def _sync_failed(sheet, _partner_ids, p, _at, _currency):
    sheet.add(PARTNER, p.get("partnerId"), syncFailures=1)
    sheet.add(MARKETPLACE, "all", syncFailures=1)


def _registered(sheet, _partner_ids, _p, _at, _currency):
    sheet.add(MARKETPLACE, "all", partnersRegistered=1)


def _activated(sheet, _partner_ids, _p, _at, _currency):
    sheet.add(MARKETPLACE, "all", partnersActivated=1)


_HANDLERS = {
    "marketplace.lead_listed": _listed,
    "marketplace.lead_delisted": _delisted,
    "marketplace.lead_viewed": _viewed,
    "marketplace.unmask_limit_reached": _unmask_limit,
    "payments.lead_reserved": _reserved,
    "payments.reservation_extended": _reservation_counter("extended"),
    "payments.reservation_expired": _reservation_counter("expired"),
    "payments.reservation_cancelled": _reservation_counter("cancelled"),
    "payments.purchase_succeeded": _purchase_succeeded,
    "payments.purchase_failed": _purchase_failed,
    "payments.purchase_refunded": _purchase_refunded,
    "sync.task_completed": _sync_completed,
    "sync.task_failed": _sync_failed,
    "registration.partner_registered": _registered,
    "registration.partner_activated": _activated,
}

# The events analytics listens to (its durable subscription). The payments and sync names are
# the contract of CONTRACT_EVENTS.md, heard whether or not those plugins are installed.
FOLDED_EVENTS = tuple(_HANDLERS)
