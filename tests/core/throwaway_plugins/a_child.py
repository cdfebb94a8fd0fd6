"""Depends on z_base (alphabetically later, so ordering must come from REQUIRES)."""
from pc_app import hookimpl

NAME = "a_child"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1,<2", "z_base": ">=2"}


def note(event):
    from flask import current_app

    current_app.extensions.setdefault("listener_order", []).append(NAME)


@hookimpl
def pc_register_subscriptions():
    """Note, in-request, that this plugin heard any event."""
    from pc_app.toolkit import Subscription

    return [Subscription(f"{NAME}.note", "*", note)]
