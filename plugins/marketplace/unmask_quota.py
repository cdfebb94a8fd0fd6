"""How many listings a buyer partner may unmask per UTC day (``MARKETPLACE_UNMASK_DAILY_LIMIT``).

Unmasking on view (the default policy) would let one partner collect the contact data of
every listing by opening them all. Each partner may unmask that many *different* listings a
UTC day; opening one it already unmasked today is free (it learns nothing new), the seller's
own listings and listings it has reserved or bought never count. The set of today's
listings lives in Redis with an expiry after midnight, and one Lua script checks and adds
atomically, so the limit holds across gunicorn workers and pods.
"""
from __future__ import annotations

import datetime as dt
import math

from flask import current_app

from pc_app.toolkit import TooManyRequests, get_redis

# Both keys of a partner's day share a hash tag, so the script also runs on Redis Cluster.
_TODAY_KEY = "pc:marketplace:unmasked:{{{partner}:{day}}}"
_REACHED_KEY = "pc:marketplace:unmask-limit-reached:{{{partner}:{day}}}"
# Kept a little past midnight so that a clock slightly behind Redis's still finds its day.
_EXPIRY_MARGIN = dt.timedelta(hours=1)

# 0: already unmasked today (free); n > 0: the n-th listing today; -1: refused; -2: refused, first time today.
_TAKE = """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 0 end
local n = redis.call('SCARD', KEYS[1])
if n >= tonumber(ARGV[2]) then
  if redis.call('SETNX', KEYS[2], '1') == 1 then
    redis.call('EXPIREAT', KEYS[2], ARGV[3])
    return -2
  end
  return -1
end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('EXPIREAT', KEYS[1], ARGV[3])
return n + 1
"""


class UnmaskLimitReached(TooManyRequests):
    """The partner has unmasked its daily number of listings (429 with Retry-After until midnight UTC).

    ``first`` is True once per partner and day.
    """

    def __init__(self, limit: int, retry_after: int, first: bool):
        message = (f"Your partner has opened the contact details of {limit} listings today, the daily limit; "
                   f"more can be opened after midnight UTC.")
        super().__init__(message, retry_after=retry_after, errors={"dailyUnmaskLimit": [message]})
        self.limit, self.retry_after, self.first = limit, retry_after, first


def next_midnight(now: dt.datetime) -> dt.datetime:
    return dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc)


def take(partner_id: str, listing_id: str, now: dt.datetime | None = None) -> int:
    """Count this listing as unmasked today for the partner; returns how many it has unmasked today.

    :raises UnmaskLimitReached: the listing would be one more than the daily limit.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    limit = current_app.config["MARKETPLACE_UNMASK_DAILY_LIMIT"]
    day, midnight = now.date().isoformat(), next_midnight(now)
    keys = [_TODAY_KEY.format(partner=partner_id, day=day), _REACHED_KEY.format(partner=partner_id, day=day)]
    expire_at = int((midnight + _EXPIRY_MARGIN).timestamp())
    outcome = int(get_redis().register_script(_TAKE)(keys=keys, args=[listing_id, limit, expire_at]))
    if outcome < 0:
        raise UnmaskLimitReached(limit, max(math.ceil((midnight - now).total_seconds()), 1), first=outcome == -2)
    return outcome


def unmasked_today(partner_id: str, now: dt.datetime | None = None) -> int:
    """How many listings the partner has unmasked today (UTC)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    return int(get_redis().scard(_TODAY_KEY.format(partner=partner_id, day=now.date().isoformat())))
