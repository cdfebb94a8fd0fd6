"""Report ranges and their buckets: defaults, the 3-year bound, days, ISO weeks and calendar months (UTC)."""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from pc_app.toolkit import Invalid

INTERVALS = ("day", "week", "month")
MAX_YEARS = 3
DEFAULT_DAYS = 30
# Dates the reports accept: wide enough for any real history, narrow enough that no
# bucket arithmetic can leave the calendar.
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2099, 12, 31)


@dataclass(frozen=True)
class Bucket:
    """One point of a series: its label and the days it covers inside the range (both inclusive)."""
    label: str
    start: dt.date
    end: dt.date


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def resolve_range(start: dt.date | None, end: dt.date | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """The range a report covers, both days inclusive.

    ``to`` defaults to today (or to ``from`` when that is later), ``from`` to 29 days before
    ``to`` (30 days in all).

    :raises Invalid: ``to`` before ``from``, or more than 3 years after it (422 naming ``to``).
    """
    if end is None:
        end = max(today, start) if start is not None else today
    if start is None:
        start = max(end - dt.timedelta(days=DEFAULT_DAYS - 1), EARLIEST)
    if end < start:
        raise Invalid("to", "Must not be before from.")
    if end > add_years(start, MAX_YEARS):
        raise Invalid("to", f"The range may cover at most {MAX_YEARS} years: to must be on or before "
                            f"{add_years(start, MAX_YEARS).isoformat()}.")
    return start, end


def bucket_start(day: dt.date, interval: str) -> dt.date:
    """The first day of the bucket holding ``day``: itself, its ISO week's Monday, its month's first day."""
    if interval == "week":
        return day - dt.timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def _label(first: dt.date, interval: str) -> str:
    if interval == "week":
        year, week, _ = first.isocalendar()
        return f"{year}-W{week:02d}"
    if interval == "month":
        return first.strftime("%Y-%m")
    return first.isoformat()


def _next_start(first: dt.date, interval: str) -> dt.date:
    if interval == "week":
        return first + dt.timedelta(days=7)
    if interval == "month":
        return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first + dt.timedelta(days=1)


def buckets(start: dt.date, end: dt.date, interval: str) -> list[Bucket]:
    """Every bucket of the range in order, empty ones included; the first and last are clipped to it."""
    found = []
    first = bucket_start(start, interval)
    while first <= end:
        following = _next_start(first, interval)
        found.append(Bucket(_label(first, interval), max(first, start), min(following - dt.timedelta(days=1), end)))
        first = following
    return found


def days_of(start: dt.date, end: dt.date) -> int:
    return (end - start).days + 1


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every day of the range, both ends included."""
    return [start + dt.timedelta(days=offset) for offset in range(days_of(start, end))]


def month_equivalents(start: dt.date, end: dt.date) -> float:
    """How many calendar months the range covers, a partial month counting by its share of days.

    1 November to 30 November is exactly 1.0; 16 November to 15 December is 15/30 + 15/31.
    """
    months = 0.0
    for bucket in buckets(start, end, "month"):
        length = calendar.monthrange(bucket.start.year, bucket.start.month)[1]
        months += days_of(bucket.start, bucket.end) / length
    return months
