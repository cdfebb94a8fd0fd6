"""A plugin others depend on; it records the order in which listeners run."""
from pc_app import hookimpl

NAME = "z_base"
__version__ = "2.1.0"
REQUIRES = {"pc_app": ">=1,<2"}


@hookimpl
def pc_on_event(app, event):
    """Note that this plugin heard the event."""
    app.extensions.setdefault("listener_order", []).append(NAME)
