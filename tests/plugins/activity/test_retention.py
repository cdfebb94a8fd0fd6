"""Retention: activities older than ACTIVITY_RETENTION_DAYS go, by the periodic job and the TTL index."""
from __future__ import annotations

from pc_app.toolkit import new_id


def test_the_purge_job_removes_old_activities_and_aligns_the_ttl_index(app, client, activities, seller):
    from plugins.activity.models import Activity
    from plugins.activity.services import feed, retention

    activities.emit("core.lead_created", [seller.partner_id], {"leadId": new_id()})
    activities.fan_out()
    app.config["ACTIVITY_RETENTION_DAYS"] = 30
    with app.app_context():
        old = Activity._get_collection().find_one({})
        Activity._get_collection().insert_one({**old, "_id": new_id(), "event_id": new_id(),
                                               "created_ms": feed.now_ms() - 31 * 86400 * 1000})
        assert retention.purge_expired() == 1
        [ttl] = [i for i in Activity._get_collection().list_indexes() if dict(i["key"]) == {"created_at": 1}]
        assert ttl["expireAfterSeconds"] == 30 * 86400
    assert len(activities.feed(seller)["items"]) == 1


def test_the_periodic_jobs_are_declared(app):
    from pc_app.jobs import registered_job_specs

    specs = registered_job_specs(app)
    assert specs["activity.purge_expired"].func == "plugins.activity.jobs.purge_expired_activities"
    assert specs["activity.retry_webhooks"].queue == "webhooks" and specs["activity.retry_webhooks"].interval == 60


def test_the_retry_sweep_queues_a_due_delivery_whose_job_was_lost(app, client, jobs, seller):
    from pc_app.toolkit import get_queue
    from plugins.activity.jobs import sweep_webhook_retries

    client.post(f"/v1/partners/{seller.partner_id}/webhooks", headers=seller.headers,
                json={"url": "http://127.0.0.1:9/x", "eventTypes": ["*"]})
    endpoint = client.get(f"/v1/partners/{seller.partner_id}/webhooks", headers=seller.headers).get_json()["items"][0]
    client.post(f"/v1/partners/{seller.partner_id}/webhooks/{endpoint['id']}/ping", headers=seller.headers)
    with app.app_context():
        get_queue("webhooks").empty()  # Redis lost the job
        assert sweep_webhook_retries() == 1
        assert len(get_queue("webhooks").get_jobs()) == 1
