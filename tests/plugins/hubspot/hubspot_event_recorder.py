"""A throwaway plugin for the HubSpot tests: keeps every emitted event on the app."""
from pc_app import hookimpl

NAME = "hubspot_event_recorder"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1,<2"}


@hookimpl
def pc_on_event(app, event):
    """Append the event to ``app.extensions["hubspot_test_events"]``."""
    app.extensions.setdefault("hubspot_test_events", []).append(event)
