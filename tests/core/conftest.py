"""Fixtures of the core's tests on top of pc_app.testing.

The core's tests run the core alone plus a recording plugin, so that a feature plugin in
progress cannot change what the core's tests observe (``PC_PLUGINS`` enables only that one).
"""
import pytest

from pc_app.testing import EVENT_RECORDER, TEST_PASSWORD

from .api_checks import sign_in

THROWAWAY = __name__.rpartition(".")[0] + ".throwaway_plugins"


def throwaway(name: str) -> str:
    """The import path of a throwaway plugin module of these tests."""
    return f"{THROWAWAY}.{name}"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PC_PLUGINS": ["event_recorder"], "PC_EXTRA_PLUGINS": dict(EVENT_RECORDER)}


@pytest.fixture
def signed_in(client):
    """``signed_in(email)`` signs in with the test password and returns the session body."""
    def _sign_in(email, password=TEST_PASSWORD):
        response = sign_in(client, email, password)
        assert response.status_code == 200, response.get_json()
        return response.get_json()
    return _sign_in
