"""One Redis client per app, for rate limits, token revocation, locks, queues and pub/sub."""
from __future__ import annotations

import redis
from flask import current_app


def make_redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=3, health_check_interval=30)


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
