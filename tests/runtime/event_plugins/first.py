"""A throwaway plugin that declares the runtime events and records every event it hears."""
from pc_app import hookimpl

from . import record

NAME = "listener_first"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1,<2"}


@hookimpl
def pc_register_events():
    """Declare runtime.thing_happened (payload n, optional note) and runtime.other_thing."""
    from pc_app.toolkit import EventType

    return [EventType("runtime.thing_happened", "A test event.", {"n": "a number", "note": "text"},
                      optional=("n", "note")),
            EventType("runtime.other_thing", "Another test event.")]


@hookimpl
def pc_register_subscriptions():
    """Record every event, in-request."""
    from pc_app.toolkit import Subscription

    return [Subscription("listener_first.all", "*", lambda event: record(NAME, event))]
