"""A throwaway plugin standing in for hubspot, marketplace and payments: it contributes their steps."""
from pc_app import hookimpl

NAME = "registration_other_steps"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1,<2"}


@hookimpl
def pc_onboarding_steps(partner):
    """Report HubSpot connected, nothing listed yet and payouts not enabled."""
    return [("hubspotConnected", True), ("firstLeadListed", False), ("payoutsEnabled", False)]
