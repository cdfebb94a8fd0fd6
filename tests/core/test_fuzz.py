"""Fuzzing the core's API from its own OpenAPI document: no input produces a 5xx, every error has one shape."""
import pytest

from pc_app.testing import fuzz_api

SKIPPED = ("/v1/auth/sign-out", "/v1/internal/")  # sign-out would revoke the token the fuzzing uses


@pytest.mark.parametrize("mode", ["positive", "negative"])
@pytest.mark.parametrize("role", ["partner_owner", "admin"])
def test_no_generated_request_produces_a_5xx_or_another_error_shape(app, actors, role, mode):
    actor = getattr(actors, role)()
    assert fuzz_api(app, actor.headers, mode, SKIPPED) == []
