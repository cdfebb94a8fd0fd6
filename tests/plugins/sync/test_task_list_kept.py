"""A partner's kept task and conflict lists are not ended by another partner's sync: every write names its
partner, or (a task's claim, by id) its reply does."""
from plugins.sync.services import tasks


def test_another_partners_sync_progress_leaves_a_partners_kept_task_list(app, client, world, db_commands):
    mine, _portal = world.connect()
    theirs, _their_portal = world.connect()
    world.run_jobs()   # each first sync, to its end
    first = client.get("/v1/sync/tasks", headers=mine.headers).get_json()
    assert first["total"] == 1
    owner = "worker-host:1:ab12cd34"
    with app.app_context():
        task, _queue = tasks.open_task(theirs.partner_id, "webhook", "system")   # an insert naming them
        claimed = tasks.claim(task.id, owner)   # names the task only: its reply names the partner
    with app.app_context():   # what a worker writes while it syncs their portal, and when it is done
        assert tasks.save_progress(claimed, owner, checkpoint={"page": 1}, counts={}, synced=5, total=9, errors=[],
                                   unlinked=[])
        assert tasks.extend_lease(claimed.id, theirs.partner_id, owner)
        assert tasks.open_task(theirs.partner_id, "manual", "system")[0].id == claimed.id   # widened to full
        assert tasks.finish(claimed, owner, {}) is not None
    with db_commands:
        again = client.get("/v1/sync/tasks", headers=mine.headers).get_json()
    assert db_commands.commands == [] and again == first   # kept: none of those writes could reach my tasks
    assert world.trigger(mine).status_code == 202   # my own new task shows at once
    assert client.get("/v1/sync/tasks", headers=mine.headers).get_json()["total"] == 2


def _conflict(world, actor, portal, lead_id) -> dict:
    """Both sides change the lead's amount, then a sync finds the conflict."""
    world.edit_lead(actor, lead_id, dealAmount=1)
    world.admin.user_changes_deal(portal, world.deal_of(portal, lead_id)["id"], {"amount": "2"}, deliver=False)
    world.sync(actor)
    [conflict] = world.conflicts(actor, status="open")
    return conflict


def test_another_partners_conflicts_leave_a_partners_kept_conflict_list(client, world, synced, db_commands):
    theirs, their_portal, their_leads = synced
    mine, my_portal = world.connect()
    [my_lead] = world.leads(mine, 1)
    world.sync(mine)
    first = client.get("/v1/sync/conflicts", headers=mine.headers).get_json()
    assert first["total"] == 0
    # Theirs: detected (an insert), claimed and released when HubSpot fails, then claimed and resolved.
    their_conflict = _conflict(world, theirs, their_portal, their_leads[0])
    world.admin.fail_next(503, count=None, path="/crm/v3/objects/deals/batch/update", portal=their_portal)
    assert world.resolve(theirs, their_conflict["id"], "use_pc").status_code == 502
    world.admin.clear_faults()
    assert world.resolve(theirs, their_conflict["id"], "use_pc").status_code == 200
    with db_commands:
        again = client.get("/v1/sync/conflicts", headers=mine.headers).get_json()
    assert (db_commands.commands, again) == ([], first)
    mine_now = _conflict(world, mine, my_portal, my_lead)   # my own shows at once
    assert [row["id"] for row in client.get("/v1/sync/conflicts", headers=mine.headers).get_json()["items"]] == [
        mine_now["id"]]
