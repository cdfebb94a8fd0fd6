"""Time as the payments records keep it: epoch milliseconds where queries compare, aware datetimes to show."""
from __future__ import annotations

import datetime as dt
import time

from pc_app.toolkit import iso_utc_ms


def now_ms() -> int:
    return int(time.time() * 1000)


def from_ms(epoch_ms: int) -> dt.datetime:
    """An aware UTC datetime, to the millisecond (what BSON keeps)."""
    return dt.datetime.fromtimestamp(epoch_ms / 1000, tz=dt.timezone.utc)


def iso(epoch_ms: int | None) -> str | None:
    """The API's one datetime format (``pc_app.db.iso_utc``: milliseconds, +00:00)."""
    return iso_utc_ms(epoch_ms)


def hours_ms(hours: float) -> int:
    return int(round(hours * 3600 * 1000))
