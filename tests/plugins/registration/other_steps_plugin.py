"""A throwaway plugin standing in for hubspot, marketplace and payments: it contributes their steps."""
from pc_app import hookimpl

NAME = "registration_other_steps"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1,<2"}


@hookimpl
def pc_onboarding_steps(partner):
    """Report HubSpot connected, nothing listed yet and payouts not enabled, at their checklist positions."""
    from pc_app.toolkit import OnboardingStep

    return [OnboardingStep("hubspotConnected", True, 20), OnboardingStep("firstLeadListed", False, 40),
            OnboardingStep("payoutsEnabled", False, 30)]
