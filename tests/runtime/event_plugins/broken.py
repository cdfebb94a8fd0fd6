"""A throwaway plugin whose subscriber always raises."""
from pc_app import hookimpl

NAME = "listener_broken"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1,<2"}


def fail(event):
    raise RuntimeError(f"listener_broken cannot handle {event.name}")


@hookimpl
def pc_register_subscriptions():
    """Fail on purpose on every event."""
    from pc_app.toolkit import Subscription

    return [Subscription("listener_broken.all", "*", fail)]
