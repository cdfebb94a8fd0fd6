"""A throwaway plugin for these tests: it remembers every event (app.extensions["registration_events"])."""
from pc_app import hookimpl

NAME = "registration_recorder"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1,<2"}


@hookimpl
def pc_on_event(app, event):
    """Remember the event on the app that emitted it."""
    app.extensions.setdefault("registration_events", []).append(event)
