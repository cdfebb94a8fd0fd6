"""Fixtures of the registration plugin's tests: the plugin alone, plus an event recorder.

Other feature plugins are not enabled, so their work in progress cannot change what these
tests see; their onboarding steps are stood in for by a throwaway plugin where needed.
"""
import pytest

from pc_app.testing import EVENT_RECORDER

from .flows import PASSWORD, register, verify, verify_link_token

HERE = __name__.rpartition(".")[0]
OTHER_STEPS = {"registration_other_steps": f"{HERE}.other_steps_plugin"}


@pytest.fixture
def app_config(app_config):
    # A generous limit: several tests register more than five times from one address.
    return {**app_config, "PC_PLUGINS": ["registration", "event_recorder"],
            "PC_EXTRA_PLUGINS": dict(EVENT_RECORDER), "REGISTRATION_RATELIMIT": "1000 per minute"}


@pytest.fixture
def verified_owner(client, outbox):
    """Register Acme Leads and verify it: returns the sign-in answer (tokens, user, partner)."""
    assert register(client).status_code == 202
    token = verify_link_token(outbox()[0])
    response = verify(client, token, PASSWORD)
    assert response.status_code == 200, response.get_json()
    return response.get_json()
