"""A test plugin that keeps every event the app emits (``app.extensions["recorded_events"]``)."""
from flask import current_app

from pc_app import hookimpl

NAME = "event_recorder"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1,<2"}


def record(event) -> None:
    current_app.extensions.setdefault("recorded_events", []).append(event)


@hookimpl
def pc_register_subscriptions():
    """Hear every event, in-request."""
    from pc_app.toolkit import Subscription

    return [Subscription("event_recorder.all", "*", record)]
