"""Implements a hook under a misspelled name."""
from pc_app import hookimpl

NAME = "misspelled_hook"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1"}


@hookimpl
def pc_register_evnets():
    """Never called: the name is wrong."""
