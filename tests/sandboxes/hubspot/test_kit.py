"""What the sandbox kit gives every stand-in, seen through the HubSpot sandbox: shares of failures,
held calls, webhook retries with backoff, the JSON snapshot and the production guard."""
import threading
import time
import os
import subprocess
import sys

import pytest
import requests
from hubspot.crm.pipelines import ApiException

from pc_app.devstack import free_port
from pc_app.sandboxes import SANDBOXES


def test_a_fraction_of_calls_fail_spread_evenly(sandbox, connect):
    _tokens, hub_id, client = connect()
    sandbox.admin.fail_fraction(503, 0.5, path="/crm/v3/pipelines")
    outcomes = []
    for _ in range(6):
        try:
            client.crm.pipelines.pipelines_api.get_all("deals")
            outcomes.append(200)
        except ApiException as failure:
            outcomes.append(failure.status)
    assert outcomes == [200, 503, 200, 503, 200, 503]
    assert [c["status"] for c in sandbox.admin.calls(portal=hub_id, route="/crm/")] == outcomes


def test_a_held_call_times_the_client_out_and_the_next_one_is_answered(sandbox, connect):
    tokens, _hub, _client = connect()
    sandbox.admin.hold_next(count=1, path="/crm/v3/pipelines", hold_ms=1500)
    url = f"{sandbox.base_url}/crm/v3/pipelines/deals"
    headers = {"Authorization": f"Bearer {tokens.access_token}"}
    with pytest.raises(requests.Timeout):
        requests.get(url, headers=headers, timeout=0.3)
    assert requests.get(url, headers=headers, timeout=5).status_code == 200


def test_a_call_held_across_a_reset_stays_out_of_the_new_call_log(sandbox, connect):
    tokens, _hub, _client = connect()
    sandbox.admin.hold_next(count=1, path="/crm/v3/pipelines", hold_ms=600)
    url = f"{sandbox.base_url}/crm/v3/pipelines/deals"
    held = threading.Thread(target=lambda: requests.get(
        url, headers={"Authorization": f"Bearer {tokens.access_token}"}, timeout=5))
    held.start()
    time.sleep(0.2)  # the call is now sleeping inside the sandbox
    sandbox.admin.reset()
    held.join()  # its 504 is answered after the reset
    assert sandbox.admin.calls() == []


def test_faults_can_be_listed_and_bad_ones_are_refused(sandbox):
    sandbox.admin.fail_next(500, count=None, path="/crm/")
    assert sandbox.admin.faults() == [{"status": 500, "count": None, "path": "/crm/", "scope": None, "latencyMs": 0,
                                       "retryAfter": None, "timeout": False, "timeoutMs": 30000, "fraction": None}]
    refused = requests.post(f"{sandbox.base_url}/_sandbox/faults", json={"status": 200}, timeout=5)
    assert refused.status_code == 400 and "status" in refused.json()["message"]
    assert requests.post(f"{sandbox.base_url}/_sandbox/faults", json={"status": 500, "fraction": 2},
                         timeout=5).status_code == 400


def test_a_failed_webhook_delivery_is_retried_with_backoff(sandbox, connect, receiver):
    url, received = receiver
    sandbox.admin.configure(webhookMaxAttempts=3, webhookRetryBaseMs=50)
    _tokens, hub_id, _client = connect()
    dead_url = f"http://127.0.0.1:{free_port()}/hooks"  # nobody listens there
    answer = sandbox.admin.user_creates_deal(hub_id, {"dealname": "Lost"}, webhookUrl=dead_url)
    assert "error" in answer["delivery"]
    assert sandbox.admin.wait_for_webhooks(timeout=10)
    [delivery] = sandbox.admin.webhook_deliveries()
    assert delivery["state"] == "failed" and len(delivery["attempts"]) == 3

    received.answer_with(503)  # the receiver fails once, then takes the retry
    answer = sandbox.admin.user_creates_deal(hub_id, {"dealname": "Kept"}, webhookUrl=url)
    assert answer["delivery"]["status"] == 503
    assert sandbox.admin.wait_for_webhooks(timeout=10)
    kept = sandbox.admin.webhook_deliveries()[-1]
    assert kept["state"] == "delivered" and [a["status"] for a in kept["attempts"]] == [503, 200]
    assert len(received) == 2 and received[0]["body"] == received[1]["body"]


def test_state_survives_a_restart_through_the_snapshot(tmp_path):
    spec = SANDBOXES["hubspot"]
    snapshot = tmp_path / "hubspot.json"
    first = spec.launcher.start(tmp_path, state_file=str(snapshot))
    try:
        hub_id = spec.handle(first.url).admin.create_portal()
    finally:
        first.stop()
    second = spec.launcher.start(tmp_path, state_file=str(snapshot))
    try:
        assert spec.handle(second.url).admin.portal(hub_id)["hubId"] == hub_id
    finally:
        second.stop()


def test_sandboxes_refuse_to_run_in_production():
    result = subprocess.run([sys.executable, "-m", "pc_app.sandboxes", "hubspot", "--port", "1"],
                            env={**os.environ, "PC_ENV": "production"}, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "PC_ENV=production" in result.stderr
