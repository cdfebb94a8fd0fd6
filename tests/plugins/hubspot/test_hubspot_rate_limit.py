"""The per-portal token bucket: every HubSpot attempt of the project (retries and token refreshes too) takes a
token, so the portal's rolling limit is never exceeded, however many threads or workers call at once."""
import threading

import pytest


@pytest.fixture
def app_config(app_config):
    # The bucket matches the sandbox's own limit (set per test): a call the bucket lets through too
    # early would come back as HubSpot's 429.
    return {**app_config, "HUBSPOT_RATE_LIMIT": 4, "HUBSPOT_RATE_LIMIT_WINDOW_SECONDS": 1}


def _list_pipelines(app, partner_id):
    from plugins.hubspot.services import HubSpotClientFactory

    with app.app_context():
        return HubSpotClientFactory().call(partner_id, lambda c: c.crm.pipelines.pipelines_api.get_all("deals"))


def _bucket_size(app, portal) -> int:
    from pc_app.redis_client import get_redis

    with app.app_context():
        return get_redis().zcard(f"pc:hubspot:bucket:{portal}")


def test_calls_from_many_threads_stay_under_the_portal_limit(app, connected, sandbox):
    owner, portal = connected
    sandbox.admin.configure(rateLimitMax=4, rateLimitWindowSeconds=1)
    before = len(sandbox.admin.calls(portal=portal, route="/crm/"))
    errors = []

    def caller():
        try:
            for _ in range(3):
                _list_pipelines(app, owner.partner_id)
        except Exception as exc:  # noqa: BLE001 - the test reports it
            errors.append(exc)

    threads = [threading.Thread(target=caller) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    statuses = [c["status"] for c in sandbox.admin.calls(portal=portal, route="/crm/")[before:]]
    assert len(statuses) == 9 and set(statuses) == {200}


def test_each_retry_and_each_token_refresh_takes_a_token(app, connected, sandbox, app_config):
    owner, portal = connected
    app.config["HUBSPOT_RATE_LIMIT_WINDOW_SECONDS"] = 60  # nothing comes back during the test
    from pc_app.redis_client import get_redis

    with app.app_context():
        get_redis().delete(f"pc:hubspot:bucket:{portal}")
    sandbox.admin.fail_next(503, count=1, path="/crm/v3/pipelines", portal=portal)
    sandbox.admin.expire_tokens(portal=portal)
    before = len(sandbox.admin.calls(portal=portal))
    assert _list_pipelines(app, owner.partner_id).results
    made = sandbox.admin.calls(portal=portal)[before:]
    # the injected 503 (faults come first), its retry refused for the expired token, the refresh
    # grant, and the call that succeeds: four attempts, four tokens
    assert [(c["route"].split("/")[1], c["status"]) for c in made] == [
        ("crm", 503), ("crm", 401), ("oauth", 200), ("crm", 200)]
    assert _bucket_size(app, portal) == len(made)


def test_a_full_bucket_waits_for_the_oldest_token_to_come_back(app):
    import time

    from pc_app.redis_client import get_redis
    from plugins.hubspot.services.rate_limit import PortalBucket

    slept = []

    def sleep(seconds):
        slept.append(seconds)
        time.sleep(seconds)

    with app.app_context():
        bucket = PortalBucket(get_redis(), "bucket-test", limit=2, window_seconds=0.3, sleep=sleep)
        assert bucket.take() == 0 and bucket.take() == 0
        waited = bucket.take()
    assert waited > 0 and len(slept) >= 1 and all(0 < s <= 0.3 for s in slept)
