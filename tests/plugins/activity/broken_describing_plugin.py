"""A throwaway plugin whose activity description has a key the hook does not know."""
from pc_app import hookimpl

NAME = "broken_probe"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1,<2"}


@hookimpl(optionalhook=True)
def pc_activity_types():
    """Describe a core event with a misspelled key."""
    return {"core.lead_created": {"sentense": "typo"}}
