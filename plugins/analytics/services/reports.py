"""The partner and marketplace reports, read from the daily rollups only (never from transactions).

A report is one query: the rollups of its scope for the days of the range (one document a
day at most), so its cost grows with the length of the range, not with the number of sales
or partners. Amounts are integer cents in ``ANALYTICS_CURRENCY``; "net" amounts subtract the
refunds made in the range (a refund counts on its own day).
"""
from __future__ import annotations

import datetime as dt
from bisect import bisect_right

from pc_app.toolkit import Partner, config, count_matching

from ..models import Rollup
from .contributions import MARKETPLACE, PARTNER, rollup_id
from .periods import buckets, days_between, month_equivalents

_META = {"_id", "scope", "key", "day", "n", "inflight"}

# The seed's six-month business targets (PRODUCT.md §7), each beside its actual.
TARGETS = (
    ("activePartners", "ANALYTICS_TARGET_ACTIVE_PARTNERS", "partners with status active (a level, not per month)"),
    ("monthlyTransactions", "ANALYTICS_TARGET_MONTHLY_TRANSACTIONS", "successful purchases per month"),
    ("monthlyVolume", "ANALYTICS_TARGET_MONTHLY_VOLUME", "GMV per month, net of refunds, in cents"),
    ("monthlyPlatformRevenue", "ANALYTICS_TARGET_MONTHLY_PLATFORM_REVENUE",
     "platform fees per month, net of refunds, in cents"),
)


# --- reading and summing rollups -----------------------------------------------------------------

def read_rollups(scope: str, key: str, start: dt.date, end: dt.date) -> list[dict]:
    """The rollups of one scope and key (the marketplace's, or one partner's) in the range: one query.

    Rollup ids are known in advance (``m:<day>``, ``p:<partner>:<day>``), so the range is read
    by primary key (``_id $in`` the range's days): a cost that follows the range, never the
    size of the collection (a range scan on our local stand-in slows as history grows).
    """
    ids = [rollup_id(scope, key, day.isoformat()) for day in days_between(start, end)]
    docs = Rollup._get_collection().find({"_id": {"$in": ids}}, {"inflight": 0}, batch_size=len(ids) + 1)
    return sorted(docs, key=lambda doc: doc["day"])


def counters_of(doc: dict) -> dict[str, int]:
    """A rollup's counters without its bookkeeping fields."""
    return {name: value for name, value in doc.items()
            if name not in _META and isinstance(value, int) and not isinstance(value, bool)}


def add_counters(total: dict, counters: dict) -> dict:
    for name, value in counters.items():
        total[name] = total.get(name, 0) + value
    return total


def sum_counters(counter_sets) -> dict[str, int]:
    total: dict = {}
    for counters in counter_sets:
        add_counters(total, counters)
    return total


def by_bucket(docs: list[dict], start: dt.date, end: dt.date, interval: str) -> list[tuple[object, dict]]:
    """``(bucket, summed counters)`` for every bucket of the range, zeros for empty ones."""
    found = [(bucket, {}) for bucket in buckets(start, end, interval)]
    starts = [bucket.start.isoformat() for bucket, _ in found]
    for doc in docs:
        index = _last_at_or_before(starts, doc["day"])
        add_counters(found[index][1], counters_of(doc))
    return found


def _last_at_or_before(starts: list[str], day: str) -> int:
    return max(bisect_right(starts, day) - 1, 0)


# --- derived numbers -------------------------------------------------------------------------------

def ratio(part: int, whole: int) -> float | None:
    """``part / whole`` to 4 decimals; None when there is nothing to divide by."""
    return round(part / whole, 4) if whole else None


def average(total: int, items: int) -> int | None:
    """The average in whole cents (half up); None without items."""
    return (2 * total + items) // (2 * items) if items else None


def median_hours(counters: dict) -> float | int | None:
    """The median of the sales' whole hours from listing to sale, from the ``tts:<hours>`` histogram.

    Exact for whole hours: each sale is counted in the bucket of its floor hours, so the
    histogram holds every sale's value. An even number of sales gives the mean of the two
    middle values (which may end in .5). None without timed sales.
    """
    histogram = sorted((int(name[4:]), value) for name, value in counters.items()
                       if name.startswith("tts:") and value > 0)
    total = sum(value for _hours, value in histogram)
    if total == 0:
        return None

    def value_at(position: int) -> int:  # 1-based position in the sorted sales
        seen = 0
        for hours, value in histogram:
            seen += value
            if seen >= position:
                return hours
        return histogram[-1][0]

    low, high = value_at((total + 1) // 2), value_at(total // 2 + 1)
    middle = (low + high) / 2
    return int(middle) if middle == int(middle) else middle


def _get(counters: dict, name: str) -> int:
    return counters.get(name, 0)


# --- the partner report ----------------------------------------------------------------------------

def seller_numbers(c: dict) -> dict:
    return {
        "listed": _get(c, "listed"), "delisted": _get(c, "delisted"),
        "views": _get(c, "views"), "uniqueViewers": _get(c, "uniqueViewers"),
        "reservationsReceived": _get(c, "reservationsReceived"),
        "sold": _get(c, "sold"), "refunded": _get(c, "salesRefunded"),
        "revenue": _get(c, "salesPayout") - _get(c, "refundedPayout"),
        "grossRevenue": _get(c, "salesPayout"), "refundedRevenue": _get(c, "refundedPayout"),
        "salesAmount": _get(c, "salesAmount") - _get(c, "refundedSalesAmount"),
        "sellThrough": ratio(_get(c, "sold"), _get(c, "listed")),
        "averagePrice": average(_get(c, "salesAmount"), _get(c, "sold")),
        "medianHoursToSale": median_hours(c),
    }


def buyer_numbers(c: dict) -> dict:
    return {
        "views": _get(c, "viewsMade"), "unmaskLimitReached": _get(c, "unmaskLimitReached"),
        "reserved": _get(c, "reserved"), "extended": _get(c, "extended"), "expired": _get(c, "expired"),
        "cancelled": _get(c, "cancelled"), "purchased": _get(c, "purchased"),
        "failedPurchases": _get(c, "purchasesFailed"), "refunded": _get(c, "purchasesRefunded"),
        "spend": _get(c, "spent") - _get(c, "refundedSpend"), "grossSpend": _get(c, "spent"),
        "refundedSpend": _get(c, "refundedSpend"),
        "reserveToPurchase": ratio(_get(c, "purchased"), _get(c, "reserved")),
    }


def sync_numbers(c: dict) -> dict:
    return {"tasks": _get(c, "syncTasks"), "failedTasks": _get(c, "syncFailures"),
            "leadsSynced": _get(c, "leadsSynced"), "conflicts": _get(c, "syncConflicts"),
            "errors": _get(c, "syncErrors")}


def partner_point(c: dict) -> dict:
    return {"listed": _get(c, "listed"), "delisted": _get(c, "delisted"), "views": _get(c, "views"),
            "sold": _get(c, "sold"), "salesRefunded": _get(c, "salesRefunded"),
            "revenue": _get(c, "salesPayout") - _get(c, "refundedPayout"), "reserved": _get(c, "reserved"),
            "purchased": _get(c, "purchased"), "purchasesRefunded": _get(c, "purchasesRefunded"),
            "spend": _get(c, "spent") - _get(c, "refundedSpend"), "leadsSynced": _get(c, "leadsSynced")}


PARTNER_SERIES = tuple(partner_point({}))   # the CSV's columns after bucket, start, end


def partner_report(partner_id: str, start: dt.date, end: dt.date, interval: str) -> dict:
    """A partner's numbers as seller and as buyer over the range, with its series (one read)."""
    points = by_bucket(read_rollups(PARTNER, partner_id, start, end), start, end, interval)
    totals = sum_counters(c for _bucket, c in points)
    return {
        "partnerId": partner_id, "from": start, "to": end, "interval": interval,
        "currency": config("ANALYTICS_CURRENCY"), "otherCurrencyEvents": _get(totals, "otherCurrency"),
        "seller": seller_numbers(totals), "buyer": buyer_numbers(totals), "sync": sync_numbers(totals),
        "series": [_point(bucket, partner_point(c)) for bucket, c in points],
    }


def _point(bucket, numbers: dict) -> dict:
    return {"bucket": bucket.label, "start": bucket.start, "end": bucket.end, **numbers}


# --- the marketplace report -------------------------------------------------------------------------

def marketplace_point(c: dict) -> dict:
    return {"gmv": _get(c, "gmv") - _get(c, "refundedGmv"),
            "platformRevenue": _get(c, "platformFee") - _get(c, "refundedFee"),
            "transactions": _get(c, "transactions"), "refunds": _get(c, "refunds"), "listed": _get(c, "listed"),
            "delisted": _get(c, "delisted"), "views": _get(c, "views"), "reserved": _get(c, "reserved"),
            "newPartners": _get(c, "partnersRegistered"), "activatedPartners": _get(c, "partnersActivated"),
            "leadsSynced": _get(c, "leadsSynced")}


MARKETPLACE_SERIES = tuple(marketplace_point({}))


def top_industries(c: dict, limit: int) -> list[dict]:
    """Industries by net GMV, then transactions, then listings (only those with any activity)."""
    rows: dict[str, dict] = {}
    for name, value in c.items():
        if name.startswith("ind:"):
            _prefix, industry, counter = name.split(":", 2)
            rows.setdefault(industry, {})[counter] = value
    ranked = [{"industry": industry, "listed": _get(r, "listed"), "delisted": _get(r, "delisted"),
               "transactions": _get(r, "transactions"), "refunds": _get(r, "refunds"),
               "gmv": _get(r, "gmv") - _get(r, "refundedGmv")} for industry, r in rows.items()]
    ranked = [row for row in ranked if row["listed"] or row["transactions"] or row["refunds"] or row["delisted"]]
    ranked.sort(key=lambda row: (-row["gmv"], -row["transactions"], -row["listed"], row["industry"]))
    return ranked[:limit]


def leaders(c: dict) -> tuple[dict[str, dict], dict[str, dict]]:
    """Per partner, its sums as seller (``sel:<id>:…``) and as buyer (``buy:<id>:…``) from marketplace counters."""
    sellers: dict[str, dict] = {}
    buyers: dict[str, dict] = {}
    for name, value in c.items():
        if name.startswith(("sel:", "buy:")):
            side, partner_id, counter = name.split(":", 2)
            (sellers if side == "sel" else buyers).setdefault(partner_id, {})[counter] = value
    return sellers, buyers


def top_sellers_and_buyers(c: dict, limit: int) -> tuple[list, list]:
    """The partners that sold the most (net GMV as seller) and bought the most (net spend)."""
    seller_sums, buyer_sums = leaders(c)
    sellers = [{"partnerId": pid, "sales": _get(s, "sales"), "refunds": _get(s, "refunds"), "gmv": _get(s, "gmv"),
                "revenue": _get(s, "revenue")} for pid, s in seller_sums.items()]
    buyers = [{"partnerId": pid, "purchases": _get(b, "purchases"), "refunds": _get(b, "refunds"),
               "spend": _get(b, "spend")} for pid, b in buyer_sums.items()]
    sellers.sort(key=lambda row: (-row["gmv"], -row["sales"], row["partnerId"]))
    buyers.sort(key=lambda row: (-row["spend"], -row["purchases"], row["partnerId"]))
    sellers, buyers = sellers[:limit], buyers[:limit]
    names = partner_names({row["partnerId"] for row in sellers + buyers})
    for row in sellers + buyers:
        row["name"] = names.get(row["partnerId"])
    return sellers, buyers


def trading_partner_count(c: dict) -> int:
    """Partners that made or received at least one sale in the range."""
    seller_sums, buyer_sums = leaders(c)
    return len({pid for pid, s in seller_sums.items() if _get(s, "sales")}
               | {pid for pid, b in buyer_sums.items() if _get(b, "purchases")})


def partner_names(ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    return {str(p.id): p.name for p in Partner.objects(id__in=sorted(ids)).only("id", "name")}


def active_partner_count() -> int:
    """Partners whose status is ``active`` now, the house seller excluded (core state)."""
    return count_matching(Partner.objects(status="active", is_platform__ne=True))


def targets_beside_actuals(active: int, totals: dict, months: float) -> list[dict]:
    """Each seed target with its actual: a level for partners, a per-month average for the rest."""
    actuals = {
        "activePartners": active,
        "monthlyTransactions": round(_get(totals, "transactions") / months, 1),
        "monthlyVolume": round((_get(totals, "gmv") - _get(totals, "refundedGmv")) / months),
        "monthlyPlatformRevenue": round((_get(totals, "platformFee") - _get(totals, "refundedFee")) / months),
    }
    rows = []
    for metric, setting, description in TARGETS:
        target = config(setting)
        actual = actuals[metric]
        rows.append({"metric": metric, "description": description, "target": target, "actual": actual,
                     "progress": ratio(actual, target)})
    return rows


def marketplace_report(start: dt.date, end: dt.date, interval: str) -> dict:
    """The whole marketplace over the range: money, activity, partners, leaders, series, targets."""
    points = by_bucket(read_rollups(MARKETPLACE, "all", start, end), start, end, interval)
    totals = sum_counters(c for _bucket, c in points)
    limit = config("ANALYTICS_TOP_N")
    sellers, buyers = top_sellers_and_buyers(totals, limit)
    active = active_partner_count()
    months = month_equivalents(start, end)
    t = totals
    return {
        "from": start, "to": end, "interval": interval, "currency": config("ANALYTICS_CURRENCY"),
        "otherCurrencyEvents": _get(t, "otherCurrency"),
        "gmv": _get(t, "gmv") - _get(t, "refundedGmv"), "grossGmv": _get(t, "gmv"),
        "refundedGmv": _get(t, "refundedGmv"),
        "platformRevenue": _get(t, "platformFee") - _get(t, "refundedFee"),
        "grossPlatformRevenue": _get(t, "platformFee"), "refundedPlatformRevenue": _get(t, "refundedFee"),
        "sellerPayouts": _get(t, "sellerPayout") - _get(t, "refundedPayout"),
        "transactions": _get(t, "transactions"), "refunds": _get(t, "refunds"),
        "failedPurchases": _get(t, "purchasesFailed"),
        "averagePrice": average(_get(t, "gmv"), _get(t, "transactions")),
        "listed": _get(t, "listed"), "delisted": _get(t, "delisted"), "views": _get(t, "views"),
        "uniqueViewers": _get(t, "uniqueViewers"), "reserved": _get(t, "reserved"),
        "extended": _get(t, "extended"), "expired": _get(t, "expired"), "cancelled": _get(t, "cancelled"),
        "sellThrough": ratio(_get(t, "transactions"), _get(t, "listed")),
        "medianHoursToSale": median_hours(t),
        "activePartners": active,
        "tradingPartners": trading_partner_count(t),
        "newPartners": _get(t, "partnersRegistered"), "activatedPartners": _get(t, "partnersActivated"),
        "unmaskLimitReached": _get(t, "unmaskLimitReached"),
        "sync": sync_numbers(t),
        "topIndustries": top_industries(t, limit), "topSellers": sellers, "topBuyers": buyers,
        "targets": targets_beside_actuals(active, t, months), "months": round(months, 4),
        "series": [_point(bucket, marketplace_point(c)) for bucket, c in points],
    }
