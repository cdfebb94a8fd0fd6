"""Implements a hook with an argument the hook never passes."""
from pc_app import hookimpl

NAME = "extra_argument"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1"}


@hookimpl
def pc_on_event(app, event, partner):
    """Never called: 'partner' is not an argument of pc_on_event."""
