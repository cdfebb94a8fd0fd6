"""Fuzzing the whole API with every plugin enabled: no generated request produces a 5xx or another error shape."""
import pytest

from pc_app.testing import fuzz_api

pytestmark = pytest.mark.e2e

# Sign-out would revoke the token the fuzzing uses; cron is covered by the runtime tests.
SKIPPED = ("/v1/auth/sign-out", "/v1/internal/")


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_every_plugin_route_answers_generated_input_without_a_5xx(app, actors, mode):
    partner_owner = actors.partner_owner(icp={"industries": ["saas"]})
    assert fuzz_api(app, partner_owner.headers, mode, SKIPPED) == []


def test_platform_staff_get_no_5xx_from_generated_input_either(app, actors):
    assert fuzz_api(app, actors.admin().headers, "negative", SKIPPED) == []
