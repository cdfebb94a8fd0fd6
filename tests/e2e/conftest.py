"""Fixtures of the end-to-end tests: every installed plugin enabled, HubSpot and Stripe on the session's sandboxes."""
import pytest

from pc_app.testing import EVENT_RECORDER

REDIRECT_URI = "http://localhost/v1/integrations/hubspot/callback"


@pytest.fixture
def app_config(app_config, hubspot_sandbox, stripe_sandbox):
    # The default PC_PLUGINS (every installed plugin) plus the event recorder, HubSpot and Stripe on the sandboxes.
    return {**app_config, **hubspot_sandbox.app_settings, **stripe_sandbox.app_settings, "PC_EXTRA_PLUGINS": dict(EVENT_RECORDER),
            "ENCRYPTION_KEY": "3f" * 32, "HUBSPOT_REDIRECT_URI": REDIRECT_URI,
            "HUBSPOT_RETRY_ATTEMPTS": 3, "HUBSPOT_RETRY_BACKOFF_MS": 20, "HUBSPOT_RETRY_MAX_DELAY_MS": 50,
            # The activity stream ends after a moment, so generated requests to it return.
            "ACTIVITY_STREAM_MAX_SECONDS": 0.3}
