"""A plugin others depend on; it records the order in which listeners run."""
from pc_app import hookimpl

NAME = "z_base"
__version__ = "2.1.0"
REQUIRES = {"pc_app": ">=1,<2"}


def note(event):
    from flask import current_app

    current_app.extensions.setdefault("listener_order", []).append(NAME)


@hookimpl
def pc_register_events():
    """Declare z_base.something_happened."""
    from pc_app.toolkit import EventType

    return [EventType("z_base.something_happened", "Something happened.")]


@hookimpl
def pc_register_subscriptions():
    """Note, in-request, that this plugin heard any event."""
    from pc_app.toolkit import Subscription

    return [Subscription(f"{NAME}.note", "*", note)]
