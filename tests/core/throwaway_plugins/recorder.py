"""A minimal well-formed plugin: it remembers every event it is given (app.extensions["recorded_events"])."""
from pc_app import hookimpl

NAME = "recorder"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1,<2"}


@hookimpl
def pc_on_event(app, event):
    """Remember the event on the app that emitted it."""
    app.extensions.setdefault("recorded_events", []).append(event)
