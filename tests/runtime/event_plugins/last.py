"""A throwaway plugin that records every event it hears."""
from pc_app import hookimpl

from . import record

NAME = "listener_last"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1,<2"}


@hookimpl
def pc_on_event(app, event):
    """Record the event in Redis."""
    record(app, NAME, event)
