"""A test plugin that keeps every event the app emits (``app.extensions["recorded_events"]``)."""
from pc_app import hookimpl

NAME = "event_recorder"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1,<2"}


@hookimpl
def pc_on_event(app, event):
    """Remember the event on the app that emitted it."""
    app.extensions.setdefault("recorded_events", []).append(event)
