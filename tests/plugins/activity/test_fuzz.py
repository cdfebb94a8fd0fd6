"""Generated requests against every activity route: no 5xx, and every error in the one shape."""
import pytest

from pc_app.testing import fuzz_api

SKIPPED = ("/v1/auth/sign-out", "/v1/internal/")


@pytest.fixture
def app_config(app_config):
    # A stream ends after a moment here, so generated requests to it return.
    return {**app_config, "ACTIVITY_STREAM_MAX_SECONDS": 0.3}


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_activity_routes_answer_generated_input_without_a_5xx(app, actors, mode):
    owner = actors.partner_owner(icp={"industries": ["saas"]})
    assert fuzz_api(app, owner.headers, mode, SKIPPED) == []


def test_staff_and_anonymous_callers_get_no_5xx_either(app, actors):
    assert fuzz_api(app, actors.admin().headers, "negative", SKIPPED) == []
    assert fuzz_api(app, {}, "positive", SKIPPED, examples=5) == []
