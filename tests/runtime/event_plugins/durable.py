"""A throwaway plugin with a durable subscriber that counts its calls and records its effect once per event.

Redis steers it per test: ``test:durable-fail`` (fail that many more times) and
``test:durable-block`` (after recording, block until the key is gone: a worker to kill).
"""
import os
import time

from flask import current_app

from pc_app import hookimpl
from pc_app.db import database
from pc_app.redis_client import get_redis

NAME = "durable_probe"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1,<2"}

EFFECTS = "runtime_durable_effects"


def remember(event) -> None:
    """Idempotent: one effect per event id however often it is delivered; ``calls`` counts deliveries."""
    redis = get_redis(current_app)
    if redis.decr("test:durable-fail") >= 0:
        raise RuntimeError("durable_probe fails on purpose")
    database()[EFFECTS].update_one({"_id": event.id}, {"$setOnInsert": {"name": event.name}, "$inc": {"calls": 1},
                                                       "$set": {"pid": os.getpid()}}, upsert=True)
    while redis.exists("test:durable-block"):
        time.sleep(0.05)


@hookimpl
def pc_register_events():
    """Declare runtime.durable_thing."""
    from pc_app.toolkit import EventType

    return [EventType("runtime.durable_thing", "A test event for durable delivery.", {"n": "a number"})]


@hookimpl
def pc_register_subscriptions():
    """Hear runtime.* durably."""
    from pc_app.toolkit import Subscription

    return [Subscription("durable_probe.remember", "runtime.*", "tests.runtime.event_plugins.durable.remember",
                         durable=True, max_attempts=3)]
