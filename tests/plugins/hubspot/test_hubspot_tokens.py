"""Token lifecycle: the client factory, the refresh sweep, one refresh at a time, and failing refreshes."""
import threading

import pytest

from pc_app.jobs import enqueue


def _refresh_grants(sandbox, portal=None):
    return [c for c in sandbox.admin.calls(route="/oauth/v1/token") if c["grantType"] == "refresh_token"
            and (portal is None or c["portal"] == portal)]


def _run_refresh_sweep(app, jobs):
    from plugins.hubspot.plugin import pc_register_jobs

    [spec] = pc_register_jobs()
    assert spec.interval == 300
    with app.app_context():
        enqueue(spec.func)
    jobs.run()


def test_factory_refreshes_first_when_under_five_minutes_remain(app, flow, actors, sandbox, hubspot_tokens):
    sandbox.admin.configure(accessTokenTtl=240)
    owner = actors.partner_owner()
    portal = flow.connect(owner)["portal"]
    before = hubspot_tokens(owner.partner_id)
    refreshes_before = len(_refresh_grants(sandbox, portal))
    from plugins.hubspot.services import HubSpotClientFactory

    with app.app_context():
        client = HubSpotClientFactory().client_for(owner.partner_id)
        assert client.crm.pipelines.pipelines_api.get_all("deals").results
    after = hubspot_tokens(owner.partner_id)
    assert after[0] != before[0] and after[1] != before[1]
    assert len(_refresh_grants(sandbox, portal)) == refreshes_before + 1


def test_factory_uses_the_stored_token_while_it_is_fresh(app, connected, sandbox):
    owner, portal = connected
    from plugins.hubspot.services import HubSpotClientFactory

    with app.app_context():
        HubSpotClientFactory().client_for(owner.partner_id).crm.deals.basic_api.get_page(limit=1)
    assert _refresh_grants(sandbox) == []


def test_only_one_refresh_runs_at_a_time_per_connection(app, flow, actors, sandbox, stored):
    sandbox.admin.configure(accessTokenTtl=240)
    owner = actors.partner_owner()
    portal = flow.connect(owner)["portal"]
    sandbox.admin.configure(accessTokenTtl=1800)  # what the refresh hands out is fresh for a while
    # The token call sits between each refresher's read and its write: keep the first one in
    # flight long enough that, without the lock, every racer would have read the old token.
    sandbox.admin.add_latency(300, count=1, path="/oauth/v1/token")
    connection_id = stored(owner.partner_id).id
    refreshes_before = len(_refresh_grants(sandbox, portal))
    from plugins.hubspot import services

    results, errors = [], []
    barrier = threading.Barrier(4)

    def refresh():
        try:
            barrier.wait()
            with app.app_context():
                results.append(services.access_token_of(services.refresh_connection(connection_id)))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=refresh) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(_refresh_grants(sandbox, portal)) == refreshes_before + 1
    assert len(set(results)) == 1


def test_refresh_sweep_leaves_fresh_tokens_alone(app, connected, sandbox, jobs):
    _run_refresh_sweep(app, jobs)
    assert _refresh_grants(sandbox) == []


def test_factory_recovers_once_from_a_token_hubspot_expired_early(app, connected, sandbox, hubspot_tokens):
    owner, portal = connected
    access, _refresh = hubspot_tokens(owner.partner_id)
    sandbox.admin.expire_tokens(access_token=access)
    from plugins.hubspot.services import HubSpotClientFactory

    with app.app_context():
        pipelines = HubSpotClientFactory().call(owner.partner_id,
                                                lambda client: client.crm.pipelines.pipelines_api.get_all("deals"))
    assert pipelines.results
    assert len(_refresh_grants(sandbox, portal)) == 1
    statuses = [c["status"] for c in sandbox.admin.calls(portal=portal, route="/crm/v3/pipelines")]
    assert statuses[-2:] == [401, 200]


def test_invalid_grant_marks_the_connection_failed_and_tells_the_owner(app, client, flow, actors, sandbox,
                                                                       hubspot_tokens, events, outbox, jobs):
    sandbox.admin.configure(accessTokenTtl=540)
    owner = actors.partner_owner()
    flow.connect(owner)
    _access, refresh = hubspot_tokens(owner.partner_id)
    from hubspot import HubSpot
    HubSpot(host=sandbox.base_url).oauth.refresh_tokens_api.archive(refresh)  # uninstalled in HubSpot

    _run_refresh_sweep(app, jobs)

    status = client.get(f"/v1/integrations/hubspot/{owner.partner_id}/status", headers=owner.headers).get_json()
    assert status["status"] == "refresh_failed" and status["connected"] is False
    [failed] = events.named("hubspot.connection_failed")
    assert failed.partner_ids == (owner.partner_id,) and "invalid_grant" in failed.payload["reason"]
    [mail] = [m for m in outbox() if m["to"] == owner.user.email]
    assert "HubSpot" in mail["subject"] and "/settings/integrations/hubspot" in mail["text"]
    assert refresh not in mail["text"]

    from plugins.hubspot.services import HubSpotClientFactory, NotConnected
    with app.app_context(), pytest.raises(NotConnected):
        HubSpotClientFactory().client_for(owner.partner_id)

    # Reconnecting the same portal makes the connection healthy again.
    assert flow.connect(owner, status["hubId"])["status"] == "success"
    healthy = client.get(f"/v1/integrations/hubspot/{owner.partner_id}/status", headers=owner.headers).get_json()
    assert healthy["status"] == "healthy" and healthy["connected"] is True


def test_three_failed_refreshes_mark_the_connection_failed_once(app, client, flow, actors, sandbox, events, outbox,
                                                                jobs, stored):
    sandbox.admin.configure(accessTokenTtl=540)
    owner = actors.partner_owner()
    flow.connect(owner)
    sandbox.admin.fail_next(503, count=None, path="/oauth/v1/token")
    for expected_failures in (1, 2):
        _run_refresh_sweep(app, jobs)
        assert stored(owner.partner_id).refresh_failures == expected_failures
        assert stored(owner.partner_id).status == "healthy"
    _run_refresh_sweep(app, jobs)
    assert stored(owner.partner_id).status == "refresh_failed"
    _run_refresh_sweep(app, jobs)  # no longer healthy: not swept again, no second mail
    assert len(events.named("hubspot.connection_failed")) == 1
    assert len([m for m in outbox() if m["to"] == owner.user.email]) == 1


def test_a_successful_refresh_resets_the_failure_count(app, flow, actors, sandbox, jobs, stored):
    sandbox.admin.configure(accessTokenTtl=540)
    owner = actors.partner_owner()
    flow.connect(owner)
    sandbox.admin.fail_next(503, count=4, path="/oauth/v1/token")  # one refresh's tries, all failing
    _run_refresh_sweep(app, jobs)
    assert stored(owner.partner_id).refresh_failures == 1
    _run_refresh_sweep(app, jobs)
    assert stored(owner.partner_id).refresh_failures == 0
    assert stored(owner.partner_id).status == "healthy"
