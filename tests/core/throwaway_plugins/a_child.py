"""Depends on z_base (alphabetically later, so ordering must come from REQUIRES)."""
from pc_app import hookimpl

NAME = "a_child"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1,<2", "z_base": ">=2"}


@hookimpl
def pc_on_event(app, event):
    """Note that this plugin heard the event."""
    app.extensions.setdefault("listener_order", []).append(NAME)
