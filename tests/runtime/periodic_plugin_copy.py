"""A throwaway plugin that declares the same periodic job id as periodic_plugin (a clash)."""
from pc_app import hookimpl

from . import periodic_plugin

NAME = "runtime_periodic_copy"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1,<2"}


@hookimpl
def pc_register_jobs():
    """Declare the nightly digest again."""
    return periodic_plugin.pc_register_jobs()
