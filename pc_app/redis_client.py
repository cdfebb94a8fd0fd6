"""One Redis client per app, for rate limits, token revocation, locks, queues and pub/sub."""
from __future__ import annotations

import redis
from flask import current_app
from redis.backoff import NoBackoff
from redis.retry import Retry


def make_redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=3, health_check_interval=30)


def make_probe_redis(url: str, seconds: float) -> redis.Redis:
    """A client for a readiness check that answers within ``seconds``: half to connect, half for the reply, no retry.

    The app's own client waits up to 3 s to connect and 5 s per reply, and retries, which suits a
    request far better than a probe that the kubelet gives up on after a few seconds.
    """
    return redis.Redis.from_url(url, socket_connect_timeout=seconds / 2, socket_timeout=seconds / 2,
                                retry=Retry(NoBackoff(), 0))


def check_redis(client: redis.Redis) -> None:
    """Fail at start, in words, when Redis is unreachable, instead of redis-py's traceback."""
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        raise SystemExit(f"Redis is unreachable ({type(exc).__name__}); check REDIS_URL.") from None


def in_cluster_mode(client: redis.Redis) -> bool:
    """Whether this Redis runs in cluster mode, which neither RQ nor this app's multi-key reads and scripts
    (one ``MGET`` of a session and its versions, Lua over several keys) can use: their keys would live in
    different slots. False when the server does not say (a managed Redis may refuse ``INFO``)."""
    try:
        return bool(int(client.info("cluster").get("cluster_enabled", 0)))
    except (redis.exceptions.RedisError, ValueError, TypeError):
        return False


def get_redis(app=None) -> redis.Redis:
    """The app's Redis client, created on first use."""
    app = app or current_app
    client = app.extensions.get("pc_redis")
    if client is None:
        client = make_redis(app.config["REDIS_URL"])
        app.extensions["pc_redis"] = client
    return client


def get_probe_redis(seconds: float, app=None) -> redis.Redis:
    """The app's readiness client (``make_probe_redis``), created on first use."""
    app = app or current_app
    client = app.extensions.get("pc_probe_redis")
    if client is None:
        client = make_probe_redis(app.config["REDIS_URL"], seconds)
        app.extensions["pc_probe_redis"] = client
    return client
