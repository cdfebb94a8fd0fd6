"""One Redis token bucket per HubSpot portal, shared by every worker and pod: each HTTP attempt takes a token.

HubSpot limits an app to a number of calls per portal in any rolling 10 seconds (its
``TEN_SECONDLY_ROLLING`` policy). A refill-rate bucket of that size would still allow twice the
limit across a window boundary, so here each token comes back ``window`` (plus a small margin)
after it was taken: never more than ``HUBSPOT_RATE_LIMIT`` attempts in any window, whoever makes
them (sync, pipeline, token refresh, retries included). The clock is Redis's, so pods agree; the
margin covers the time between taking a token and HubSpot counting the request's arrival.
"""
from __future__ import annotations

import time
import uuid

from urllib3 import HTTPConnectionPool, HTTPSConnectionPool

from pc_app.toolkit import get_redis

BUCKET_KEY = "pc:hubspot:bucket:"
ARRIVAL_MARGIN_SECONDS = 0.1

# KEYS[1] the portal's bucket; ARGV: limit, window in ms, a unique member. Returns 0 (token taken) or
# the milliseconds until the oldest token comes back.
_TAKE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(tonumber(oldest[2]) + window - now, 1)
"""


class PortalBucket:
    """The token bucket of one portal; ``take()`` blocks until a token is free."""

    def __init__(self, redis, portal, limit: int, window_seconds: float, sleep=time.sleep):
        self.key = f"{BUCKET_KEY}{portal}"
        self.limit, self.window_ms = max(int(limit), 1), max(int(window_seconds * 1000), 1)
        self._script = redis.register_script(_TAKE)
        self._sleep = sleep

    def take(self) -> float:
        """Take one token, waiting for it if needed; returns the seconds waited."""
        waited = 0.0
        while True:
            wait_ms = int(self._script(keys=[self.key], args=[self.limit, self.window_ms, uuid.uuid4().hex]))
            if wait_ms <= 0:
                return waited
            self._sleep(wait_ms / 1000)
            waited += wait_ms / 1000


def bucket_for(portal, config) -> PortalBucket:
    """The bucket of ``portal`` sized by ``HUBSPOT_RATE_LIMIT`` per ``HUBSPOT_RATE_LIMIT_WINDOW_SECONDS``."""
    return PortalBucket(get_redis(), portal, config["HUBSPOT_RATE_LIMIT"],
                        config["HUBSPOT_RATE_LIMIT_WINDOW_SECONDS"] + ARRIVAL_MARGIN_SECONDS)


def bucketed_pool_classes(bucket: PortalBucket) -> dict:
    """urllib3 connection pools that take a token before every attempt (urllib3 retries call ``urlopen`` again)."""

    class BucketedHTTPConnectionPool(HTTPConnectionPool):
        def urlopen(self, method, url, *args, **kwargs):
            bucket.take()
            return super().urlopen(method, url, *args, **kwargs)

    class BucketedHTTPSConnectionPool(HTTPSConnectionPool):
        def urlopen(self, method, url, *args, **kwargs):
            bucket.take()
            return super().urlopen(method, url, *args, **kwargs)

    return {"http": BucketedHTTPConnectionPool, "https": BucketedHTTPSConnectionPool}
