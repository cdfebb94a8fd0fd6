"""HubSpot failing: 20 % of calls answering 429, 5xx or hanging; a token that cannot be refreshed; resumption."""
from collections import Counter

import pytest
from hubspot import HubSpot


@pytest.fixture
def app_config(app_config):
    # The client gives up on a hanging call after 0.2 s (the sandbox holds it 0.4 s, then answers 504).
    return {**app_config, "HUBSPOT_TIMEOUT_SECONDS": 0.2, "HUBSPOT_RETRY_ATTEMPTS": 2, "SYNC_CALL_ATTEMPTS": 6}


def _faults(admin, portal):
    """About one call in five fails: 429 with Retry-After, 503, 502 or a hang past the client's timeout."""
    admin.fail_fraction(429, 0.07, path="/crm/", scope=portal)
    admin.fail_fraction(503, 0.05, path="/crm/", scope=portal)
    admin.fail_fraction(502, 0.04, path="/crm/", scope=portal)
    admin.hang_fraction(0.04, hold_ms=400, path="/crm/", portal=portal)


def _deals_by_lead(world, portal) -> dict:
    deals = world.deals(portal)
    markers = Counter(d["properties"]["pc_lead_id"] for d in deals)
    assert max(markers.values()) == 1, "a lead got two deals"
    return {d["properties"]["pc_lead_id"]: d for d in deals}


def test_a_thousand_leads_sync_through_a_fifth_of_failing_calls_each_linked_once_nothing_lost(world, app):
    actor, portal = world.connect()
    lead_ids = world.leads(actor, 1000)
    _faults(world.admin, portal)

    task = world.sync(actor)

    assert task["status"] == "completed", task
    failed = [c for c in world.crm_calls(portal) if c["status"] >= 429]
    assert len(failed) >= 0.1 * len(world.crm_calls(portal))  # the faults did happen
    deals = _deals_by_lead(world, portal)
    assert sorted(deals) == lead_ids
    contacts = world.admin.portal(portal)["contacts"]
    assert len(contacts) == 1000 and len({c["properties"]["email"] for c in contacts}) == 1000
    assert all(world.link(i)["status"] == "linked" for i in lead_ids[::97])
    assert deals[lead_ids[5]]["properties"]["amount"] == f"{world.lead(lead_ids[5])['deal_amount'] / 100:.2f}"

    # changes on both sides during more failures: every one lands on the other side
    changed_in_pc = lead_ids[:100]
    changed_in_hubspot = lead_ids[100:200]
    for lead_id in changed_in_pc:
        world.edit_lead(actor, lead_id, dealAmount=777)
    world.admin.user_changes_deals(portal, {deals[i]["id"]: {"amount": "8.88"} for i in changed_in_hubspot},
                                   deliver=False)
    task = world.sync(actor)
    assert task["status"] == "completed", task
    deals = _deals_by_lead(world, portal)
    assert {deals[i]["properties"]["amount"] for i in changed_in_pc} == {"7.77"}
    assert {world.lead(i)["deal_amount"] for i in changed_in_hubspot} == {888}
    assert task["counts"]["conflicts"] == 0


def test_a_token_that_cannot_be_refreshed_fails_the_task_which_the_next_one_resumes(world, app, events):
    app.config["SYNC_BATCH_SIZE"] = 100  # a checkpoint every 100 leads
    actor, portal = world.connect()
    lead_ids = world.leads(actor, 250)
    from plugins.hubspot import services

    from plugins.hubspot.models import HubSpotConnection

    with app.app_context():
        connection = HubSpotConnection.objects(partner=actor.partner_id).get()
        refresh_token = services.refresh_token_of(connection)
    HubSpot(host=world.sandbox.base_url).oauth.refresh_tokens_api.archive(refresh_token)  # HubSpot forgets it
    # the third deal create is refused as if the token had expired: the refresh that follows fails
    world.admin.fail_fraction(401, 0.34, path="/crm/v3/objects/deals/batch/create", scope=portal)

    failed = world.sync(actor)

    assert failed["status"] == "failed" and "reconnect HubSpot" in failed["failureReason"]
    assert failed["counts"]["created"] == 200
    [event] = events.named("sync.task_failed")
    assert event.payload["taskId"] == failed["id"]
    assert world.status(actor)["status"] == "refresh_failed"
    assert world.trigger(actor).status_code == 409  # not connected until the owner reconnects

    world.admin.clear_faults()
    world.connect(actor, portal)  # reconnecting starts a sync, which resumes from the checkpoint
    world.run_jobs()
    [resumed, _failed] = world.client.get("/v1/sync/tasks", headers=actor.headers).get_json()["items"][:2]
    assert resumed["resumedFrom"] == failed["id"] and resumed["status"] == "completed"
    assert resumed["counts"]["created"] == 50
    assert sorted(_deals_by_lead(world, portal)) == lead_ids


def test_hubspot_down_fails_the_task_with_a_sentence_and_the_next_sync_finishes(world, app):
    actor, portal = world.connect()
    lead_ids = world.leads(actor, 150)
    world.admin.fail_next(503, count=None, path="/crm/v3/objects/contacts/batch/create", portal=portal)

    failed = world.sync(actor)

    assert failed["status"] == "failed" and "HubSpot answered 503" in failed["failureReason"]
    world.admin.clear_faults()
    done = world.sync(actor)
    assert done["status"] == "completed" and done["resumedFrom"] == failed["id"]
    assert sorted(_deals_by_lead(world, portal)) == lead_ids
