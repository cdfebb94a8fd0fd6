"""A HubSpot sync with every installed plugin enabled, as the partner follows it in its activity feed."""
from __future__ import annotations

import pytest

from .fuzz_stack import connect_hubspot

pytestmark = pytest.mark.e2e


def test_a_sync_with_every_plugin_enabled_reads_in_the_feed_and_analytics(client, actors, hubspot_sandbox, jobs):
    # The sync plugin's pc_activity_types, read through the real activity plugin; its
    # sync.task_completed folded by the real analytics plugin.
    hubspot_sandbox.admin.reset()
    owner = actors.partner_owner(name="Syncing Co")
    connect_hubspot(client, hubspot_sandbox, owner, owner.partner_id)
    jobs.run()  # the first sync a connection starts: nothing to push yet
    for n in range(2):
        answer = client.post("/v1/leads", json={"firstName": f"Lead {n}", "email": f"lead{n}@sync.test",
                                                "dealStatus": "new"}, headers=owner.headers)
        assert answer.status_code == 201, answer.get_json()
    answer = client.post(f"/v1/sync/{owner.partner_id}/hubspot", headers=owner.headers)
    assert answer.status_code == 202, answer.get_json()
    jobs.run()
    task = client.get(f"/v1/sync/tasks/{answer.get_json()['taskId']}", headers=owner.headers).get_json()
    assert task["status"] == "completed", task
    feed = client.get("/v1/activities", query_string={"type": "sync.task_completed"}, headers=owner.headers)
    sentences = [item["sentence"] for item in feed.get_json()["items"]]
    assert sentences[0] == "HubSpot sync finished: 2 deals created, 0 updated, 0 leads from HubSpot, 0 conflicts."
    report = client.get(f"/v1/analytics/partner/{owner.partner_id}", headers=owner.headers).get_json()
    assert report["sync"]["leadsSynced"] >= 2 and report["sync"]["tasks"] == len(sentences)
