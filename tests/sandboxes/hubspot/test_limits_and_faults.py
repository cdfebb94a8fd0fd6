"""Per-portal rate limits, injected faults and latency, and the call log."""
import json
import time

import pytest
from hubspot.crm.pipelines import ApiException


def test_rate_limit_is_per_portal_with_hubspot_headers(sandbox, connect):
    sandbox.admin.configure(rateLimitMax=3, rateLimitWindowSeconds=30)
    _t1, hub_a, client_a = connect()
    _t2, hub_b, client_b = connect()
    for _ in range(3):
        client_a.crm.pipelines.pipelines_api.get_all("deals")
    with pytest.raises(ApiException) as limited:
        client_a.crm.pipelines.pipelines_api.get_all("deals")
    assert limited.value.status == 429
    assert json.loads(limited.value.body)["errorType"] == "RATE_LIMIT"
    headers = limited.value.headers
    assert headers["X-HubSpot-RateLimit-Max"] == "3" and headers["X-HubSpot-RateLimit-Remaining"] == "0"
    assert headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "30000"
    assert "Retry-After" not in headers  # HubSpot sends none; the window length tells when to retry
    assert client_b.crm.pipelines.pipelines_api.get_all("deals").results
    statuses = [c["status"] for c in sandbox.admin.calls(portal=hub_a, route="/crm/")]
    assert statuses == [200, 200, 200, 429]


def test_next_calls_fail_with_an_injected_status_then_recover(sandbox, connect):
    _tokens, hub_id, client = connect()
    sandbox.admin.fail_next(500, count=2, path="/crm/v3/pipelines", retry_after=2)
    for _ in range(2):
        with pytest.raises(ApiException) as failure:
            client.crm.pipelines.pipelines_api.get_all("deals")
        assert failure.value.status == 500 and failure.value.headers["Retry-After"] == "2"
    assert client.crm.pipelines.pipelines_api.get_all("deals").results


def test_added_latency_slows_calls_down(sandbox, connect):
    _tokens, _hub, client = connect()
    sandbox.admin.add_latency(150, count=1)
    started = time.monotonic()
    client.crm.pipelines.pipelines_api.get_all("deals")
    slow = time.monotonic() - started
    assert slow >= 0.15


def test_reset_forgets_portals_and_calls(sandbox, connect):
    _tokens, hub_id, client = connect()
    client.crm.pipelines.pipelines_api.get_all("deals")
    assert sandbox.admin.calls(portal=hub_id)
    sandbox.admin.reset()
    assert sandbox.admin.calls() == []
    with pytest.raises(AssertionError):
        sandbox.admin.portal(hub_id)
