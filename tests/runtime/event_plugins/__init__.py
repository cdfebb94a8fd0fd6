"""Throwaway plugins listening to events: two record what they hear, one always fails."""
from flask import current_app

from pc_app.redis_client import get_redis

HEARD_KEY = "test:events-heard"


def record(plugin_name, event) -> None:
    get_redis(current_app).rpush(HEARD_KEY, f"{plugin_name}:{event.name}:{event.id}")


def heard(app) -> list[str]:
    with app.app_context():
        return [v.decode() for v in get_redis(app).lrange(HEARD_KEY, 0, -1)]
