"""What a plugin contributes to a partner's onboarding checklist (``pc_onboarding_steps``)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OnboardingStep:
    """One checklist item.

    :param key: the step's name in the API (``hubspotConnected``).
    :param done: whether the partner has done it.
    :param position: where it stands in the checklist (10, 20, 30…); the seed's four steps
        are ``icpConfigured`` 10, ``hubspotConnected`` 20, ``payoutsEnabled`` 30,
        ``firstLeadListed`` 40, so a new plugin can slot in between.
    :param required: the partner cannot be activated before it is done.
    """
    key: str
    done: bool
    position: int
    required: bool = False
