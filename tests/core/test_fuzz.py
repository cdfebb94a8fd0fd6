"""Fuzzing the core's API from its own OpenAPI document, with real ids: every schemathesis check passes,
and hostile input (deep nesting, lone surrogates, NUL, huge numbers, odd headers) never answers 5xx."""
import pytest

from pc_app.testing import FuzzReport, core_fuzz_stack, fuzz_api

# Enough examples that handlers run (three in four use real ids), few enough for a fast suite;
# benchmarks/fuzz_api.py runs many more.
EXAMPLES = 3


@pytest.fixture
def app_config(app_config):
    # Rate limits would answer 429 after a few requests and keep the handlers from running.
    return {**app_config, "RATELIMIT_ENABLED": False}


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_generated_requests_pass_every_schemathesis_check(app, actors, mode):
    actor = actors.partner_owner()
    report = FuzzReport()
    assert fuzz_api(app, actor.headers, mode, examples=EXAMPLES, stack=core_fuzz_stack(app, actors, actor),
                    report=report) == []
    if mode == "positive":
        # Real ids and credentials get past the 401s and 404s: the handlers ran.
        for label in ("POST /v1/auth/sign-in", "GET /v1/leads/{lead_id}", "PATCH /v1/leads/{lead_id}",
                      "POST /v1/leads/{lead_id}/notes", "PATCH /v1/partners/{partner_id}",
                      "POST /v1/auth/reset-password", "POST /v1/leads/import", "DELETE /v1/leads/{lead_id}"):
            assert report.reached(label), (label, report.statuses.get(label))


def test_hostile_input_never_answers_5xx_or_outside_the_error_shape(app, actors):
    actor = actors.partner_owner()
    assert fuzz_api(app, actor.headers, "hostile", stack=core_fuzz_stack(app, actors, actor)) == []
