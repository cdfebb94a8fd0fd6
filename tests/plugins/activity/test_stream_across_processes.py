"""Two real API processes: an activity emitted through one reaches a stream client of the other, over Redis."""
from __future__ import annotations

import json
import urllib.request

import pytest

from pc_app.testing import TEST_DB

from .api_processes import ApiProcess, SseClient

pytestmark = pytest.mark.e2e


def post_json(base, path, headers, body):
    request = urllib.request.Request(f"{base}{path}", data=json.dumps(body).encode(), method="POST",
                                     headers={**headers, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read() or b"null")


@pytest.fixture
def two_apis(pc_services, tmp_path):
    settings = {"PC_PLUGINS": "activity", "ACTIVITY_STREAM_HEARTBEAT_SECONDS": "0.5"}
    apis = [ApiProcess(pc_services.mongodb_url, pc_services.redis_url, TEST_DB, tmp_path / f"api-{n}.log", **settings)
            for n in range(2)]
    try:
        for api in apis:
            api.wait_ready()
        yield apis
    finally:
        for api in apis:
            api.stop()


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PC_PLUGINS": ["activity"], "PC_EXTRA_PLUGINS": {}}


def test_an_activity_emitted_through_one_process_reaches_a_stream_of_the_other(two_apis, actors, jobs):
    api_a, api_b = two_apis
    owner = actors.partner_owner(name="Two Pods Co")
    status, ticket = post_json(api_a.base, "/v1/activities/stream-ticket", owner.headers, {})
    assert status == 201

    stream_b = SseClient(api_b.base, f"/v1/activities/stream?ticket={ticket['ticket']}")
    assert stream_b.status == 200 and stream_b.next_frame().startswith("retry:")
    reused = SseClient(api_a.base, f"/v1/activities/stream?ticket={ticket['ticket']}")
    assert reused.status == 401  # the ticket works once, whichever process sees it second
    reused.close()

    status, lead = post_json(api_a.base, "/v1/leads", owner.headers, {"firstName": "Ada", "email": "ada@example.com"})
    assert status == 201
    jobs.run()  # the worker fans the event out and publishes it
    live = stream_b.next_activity()
    assert live["data"]["type"] == "core.lead_created" and live["data"]["subjects"] == [
        {"type": "lead", "id": lead["id"]}]
    stream_b.close()

    # Two more while no stream is open; a reconnect with Last-Event-ID gets exactly those.
    missed = [post_json(api_a.base, "/v1/leads", owner.headers,
                        {"firstName": name, "email": f"{name.lower()}@example.com"})[1]["id"] for name in ("Bo", "Cy")]
    jobs.run()
    resumed = SseClient(api_a.base, "/v1/activities/stream", {**owner.headers, "Last-Event-ID": live["id"]})
    replayed = [resumed.next_activity()["data"]["subjects"][0]["id"] for _ in range(2)]
    assert replayed == missed
    assert resumed.next_frame().strip() == ": heartbeat"  # nothing else was missed
    resumed.close()
