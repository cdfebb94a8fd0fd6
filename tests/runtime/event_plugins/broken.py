"""A throwaway plugin whose listener always raises."""
from pc_app import hookimpl

NAME = "listener_broken"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1,<2"}


@hookimpl
def pc_on_event(app, event):
    """Fail on purpose."""
    raise RuntimeError(f"listener_broken cannot handle {event.name}")
