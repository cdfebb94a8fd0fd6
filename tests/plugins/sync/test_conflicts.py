"""Both sides changing a field make one conflict per lead, shown side by side; each resolution ends equal."""
import threading

import pytest


def _conflict_on_amount_and_status(world, actor, portal, lead_id):
    """PC: 1.11 and scheduled; HubSpot: 222.00 and in touch; both changed since the last sync."""
    world.edit_lead(actor, lead_id, dealAmount=111, dealStatus="scheduled")
    deal = world.deal_of(portal, lead_id)
    world.admin.user_changes_deal(portal, deal["id"], {"amount": "222", "dealstage": world.stage(actor, "in_touch")},
                                  deliver=False)
    return deal


def _both_sides(world, portal, lead_id) -> tuple:
    """``((cents, status) of the lead, (cents, stage) of the deal)``."""
    from decimal import Decimal

    lead = world.lead(lead_id)
    properties = world.deal_of(portal, lead_id)["properties"]
    return (lead["deal_amount"], lead["deal_status"]), (int(Decimal(properties["amount"]) * 100),
                                                         properties["dealstage"])


def test_both_sides_changing_a_field_make_a_conflict_that_pauses_only_that_lead(world, synced, events):
    actor, portal, lead_ids = synced
    base_amount = world.lead(lead_ids[0])["deal_amount"]
    deal = _conflict_on_amount_and_status(world, actor, portal, lead_ids[0])
    world.edit_lead(actor, lead_ids[1], dealAmount=333)

    task = world.sync(actor)

    assert task["counts"]["conflicts"] == 1 and task["counts"]["updated"] == 1
    [conflict] = world.conflicts(actor, status="open")
    assert (conflict["leadId"], conflict["dealId"], conflict["reason"]) == (lead_ids[0], deal["id"], "both_changed")
    rows = {row["field"]: row for row in conflict["fields"]}
    assert sorted(rows) == ["dealAmount", "dealStatus"]
    assert (rows["dealAmount"]["pcValue"], rows["dealAmount"]["hubspotValue"], rows["dealAmount"]["baseValue"]) == (
        111, 22200, base_amount)
    assert (rows["dealStatus"]["pcValue"], rows["dealStatus"]["hubspotValue"], rows["dealStatus"]["baseValue"]) == (
        "scheduled", "in_touch", "new")
    assert rows["dealAmount"]["pcChangedAt"] and rows["dealAmount"]["hubspotChangedAt"]
    [detected] = events.named("sync.conflict_detected")
    assert detected.payload["conflictId"] == conflict["id"] and sorted(detected.payload["fields"]) == [
        "dealAmount", "dealStatus"]
    assert world.deal_of(portal, lead_ids[1])["properties"]["amount"] == "3.33"  # the others go on
    # while paused, nothing of that lead moves either way
    world.edit_lead(actor, lead_ids[0], dealAmount=112)
    world.sync(actor)
    assert _both_sides(world, portal, lead_ids[0]) == ((112, "scheduled"), (22200, world.stage(actor, "in_touch")))
    assert world.client.get(f"/v1/sync/conflicts/{conflict['id']}", headers=actor.headers).get_json() == conflict


@pytest.mark.parametrize("resolution, values, expected", [
    ("use_pc", None, (111, "scheduled")),
    ("use_hubspot", None, (22200, "in_touch")),
    ("merge", {"dealAmount": 5000, "dealStatus": "in_touch"}, (5000, "in_touch")),
])
def test_each_resolution_ends_with_the_same_values_on_both_sides(world, synced, events, resolution, values,
                                                                  expected):
    actor, portal, lead_ids = synced
    _conflict_on_amount_and_status(world, actor, portal, lead_ids[0])
    world.sync(actor)
    [conflict] = world.conflicts(actor, status="open")

    answer = world.resolve(actor, conflict["id"], resolution, values)

    assert answer.status_code == 200, answer.get_json()
    resolved = answer.get_json()
    assert (resolved["status"], resolved["resolution"]) == ("resolved", resolution)
    assert resolved["resolvedValues"] == {"dealAmount": expected[0], "dealStatus": expected[1]}
    lead_side, deal_side = _both_sides(world, portal, lead_ids[0])
    assert lead_side == expected and deal_side == (expected[0], world.stage(actor, expected[1]))
    assert world.link(lead_ids[0])["status"] == "linked"
    [done] = events.named("sync.conflict_resolved")
    assert done.payload["resolution"] == resolution and done.actor == f"user:{actor.id}"
    world.run_jobs()  # the resolution's follow-up pull of that deal
    before = len(world.crm_calls(portal))
    world.sync(actor)
    assert world.writes(portal, before) == []  # in step: nothing bounces back
    assert world.conflicts(actor, status="open") == []
    assert world.resolve(actor, conflict["id"], "use_pc").status_code == 409


def test_merge_takes_a_new_value_per_field_validated_like_a_lead_edit(world, synced):
    actor, portal, lead_ids = synced
    _conflict_on_amount_and_status(world, actor, portal, lead_ids[0])
    world.sync(actor)
    [conflict] = world.conflicts(actor, status="open")

    bad = world.resolve(actor, conflict["id"], "merge", {"dealAmount": -5, "dealStatus": "sold"})
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"values.dealAmount", "values.dealStatus"}
    missing = world.resolve(actor, conflict["id"], "merge", {"dealAmount": 5})
    assert missing.status_code == 422 and "values.dealStatus" in missing.get_json()["errors"]
    extra = world.resolve(actor, conflict["id"], "merge", {"dealAmount": 5, "dealStatus": "new", "dealName": "x"})
    assert extra.status_code == 422 and "values.dealName" in extra.get_json()["errors"]
    stray = world.resolve(actor, conflict["id"], "use_pc", {"dealAmount": 5})
    assert stray.status_code == 422 and "values" in stray.get_json()["errors"]
    unknown = world.client.post(f"/v1/sync/conflicts/{conflict['id']}/resolve", json={"resolution": "toss"},
                                headers=actor.headers)
    assert unknown.status_code == 422 and "resolution" in unknown.get_json()["errors"]
    assert world.conflicts(actor, status="open")[0]["id"] == conflict["id"]  # nothing was applied


def test_a_hubspot_failure_while_resolving_is_a_502_and_changes_nothing(world, synced):
    actor, portal, lead_ids = synced
    _conflict_on_amount_and_status(world, actor, portal, lead_ids[0])
    world.sync(actor)
    [conflict] = world.conflicts(actor, status="open")
    before = _both_sides(world, portal, lead_ids[0])
    world.admin.fail_next(503, count=None, path="/crm/v3/objects/deals/batch/update", portal=portal)

    answer = world.resolve(actor, conflict["id"], "use_pc")

    assert answer.status_code == 502 and "HubSpot" in answer.get_json()["message"]
    assert _both_sides(world, portal, lead_ids[0]) == before
    world.admin.clear_faults()
    assert world.conflicts(actor, status="open")[0]["id"] == conflict["id"]
    assert world.resolve(actor, conflict["id"], "use_pc").status_code == 200


def test_two_people_resolving_at_once_get_one_success_and_one_409(world, synced, app, db_latency, events):
    actor, portal, lead_ids = synced
    _conflict_on_amount_and_status(world, actor, portal, lead_ids[0])
    world.sync(actor)
    [conflict] = world.conflicts(actor, status="open")
    member = world.actors.member(actor.partner)
    db_latency.rendezvous("find", "sync_conflicts", parties=2)  # both read the open conflict first
    start = threading.Barrier(2)
    answers = []

    def resolve(who, resolution):
        client = app.test_client()
        start.wait()
        answers.append(client.post(f"/v1/sync/conflicts/{conflict['id']}/resolve",
                                   json={"resolution": resolution}, headers=who.headers).status_code)

    threads = [threading.Thread(target=resolve, args=(actor, "use_pc")),
               threading.Thread(target=resolve, args=(member, "use_hubspot"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200, 409]
    assert len(events.named("sync.conflict_resolved")) == 1
    lead_side, deal_side = _both_sides(world, portal, lead_ids[0])
    assert deal_side == (lead_side[0], world.stage(actor, lead_side[1]))
