"""Implements a hook with an argument the hook never passes."""
from pc_app import hookimpl

NAME = "extra_argument"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1"}


@hookimpl
def pc_onboarding_steps(partner, lead):
    """Never called: 'lead' is not an argument of pc_onboarding_steps."""
