"""A throwaway plugin that records the events of one name it hears (it subscribes by name)."""
from pc_app import hookimpl

from . import record

NAME = "listener_last"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1,<2"}


@hookimpl
def pc_register_subscriptions():
    """Record runtime.thing_happened and every core.* event, in-request."""
    from pc_app.toolkit import Subscription

    return [Subscription("listener_last.named", ("runtime.thing_happened", "core.*"),
                         lambda event: record(NAME, event))]
