"""Every call the HubSpot SDK makes is counted in pc_upstream_calls_total{service="hubspot", outcome}."""
from pc_app.testing import metric_samples, scrape_metrics


def upstream_calls(client, app) -> dict[str, float]:
    """HubSpot's calls by outcome, as a scrape of /metrics sees them."""
    return {labels["outcome"]: value for labels, value in
            metric_samples(scrape_metrics(app), "pc_upstream_calls_total") if labels["service"] == "hubspot"}


def sdk_calls(sandbox) -> list[dict]:
    """What reached the sandbox from our SDK client (the consent page is the browser's)."""
    return [call for call in sandbox.admin.calls() if not call["path"].startswith("/oauth/authorize")]


def test_a_connection_counts_each_sdk_call_as_ok(app, client, flow, actors, sandbox):
    owner = actors.partner_owner()

    assert flow.connect(owner)["status"] == "success"

    answered = sdk_calls(sandbox)
    assert answered and all(call["status"] < 400 for call in answered)
    assert upstream_calls(client, app) == {"ok": len(answered)}


def test_failed_calls_are_counted_by_outcome_after_the_retries(app, client, flow, actors, sandbox):
    owner = actors.partner_owner()
    url = flow.authorization_url(owner)
    callback = flow.consent(url, sandbox.admin.create_portal())
    sandbox.admin.fail_next(503, count=None, path="/oauth/v1/token")  # every attempt, retries included

    flow.callback(callback)

    token_attempts = [call for call in sdk_calls(sandbox) if call["path"] == "/oauth/v1/token"]
    assert len(token_attempts) == app.config["HUBSPOT_RETRY_ATTEMPTS"] + 1  # urllib3 retried each 503
    assert upstream_calls(client, app) == {"server_error": 1}  # one call, counted once, as it ended
