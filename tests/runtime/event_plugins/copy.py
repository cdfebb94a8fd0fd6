"""A throwaway plugin that declares an event another plugin already declares (start-up must refuse)."""
from pc_app import hookimpl

NAME = "listener_copy"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1,<2"}


@hookimpl
def pc_register_events():
    """Declare runtime.other_thing a second time."""
    from pc_app.toolkit import EventType

    return [EventType("runtime.other_thing", "The same name again.")]
