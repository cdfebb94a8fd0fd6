"""Who may sync and resolve (PRODUCT.md §2), and the triggers: manual, first connection, webhooks, every 15 minutes."""
import threading


def test_members_may_sync_and_resolve_their_own_partners_conflicts(world, synced):
    actor, portal, lead_ids = synced
    member = world.actors.member(actor.partner)
    world.edit_lead(actor, lead_ids[0], dealAmount=1)
    world.admin.user_changes_deal(portal, world.deal_of(portal, lead_ids[0])["id"], {"amount": "2"}, deliver=False)
    assert world.trigger(member).status_code == 202
    world.run_jobs()
    [conflict] = world.conflicts(member, status="open")
    assert world.resolve(member, conflict["id"], "use_hubspot").status_code == 200


def test_another_partners_tasks_and_conflicts_answer_404(world, synced):
    actor, portal, lead_ids = synced
    world.edit_lead(actor, lead_ids[0], dealAmount=1)
    world.admin.user_changes_deal(portal, world.deal_of(portal, lead_ids[0])["id"], {"amount": "2"}, deliver=False)
    task = world.sync(actor)
    [conflict] = world.conflicts(actor, status="open")
    stranger = world.actors.partner_owner()

    assert world.trigger(stranger, actor.partner_id).status_code == 404
    assert world.client.get(f"/v1/sync/tasks/{task['id']}", headers=stranger.headers).status_code == 404
    assert world.client.get(f"/v1/sync/conflicts/{conflict['id']}", headers=stranger.headers).status_code == 404
    assert world.resolve(stranger, conflict["id"], "use_pc").status_code == 404
    assert world.conflicts(stranger) == []
    assert world.client.get("/v1/sync/tasks", headers=stranger.headers).get_json()["items"] == []
    # A partner user's partnerId naming another partner is a foreign id: 404, as on the lead list.
    for path in ("/v1/sync/tasks", "/v1/sync/conflicts"):
        foreign = world.client.get(path, query_string={"partnerId": actor.partner_id}, headers=stranger.headers)
        assert foreign.status_code == 404 and foreign.get_json()["message"] == "No such partner."
        own = world.client.get(path, query_string={"partnerId": stranger.partner_id}, headers=stranger.headers)
        assert own.status_code == 200 and own.get_json()["items"] == []
    assert world.client.get("/v1/sync/tasks/0123456789abcdef01234567", headers=actor.headers).status_code == 404
    assert world.client.get("/v1/sync/tasks/not-an-id", headers=actor.headers).status_code == 404
    admin = world.actors.admin()
    assert world.client.get(f"/v1/sync/tasks/{task['id']}", headers=admin.headers).status_code == 200
    assert world.conflicts(admin, partnerId=actor.partner_id)[0]["id"] == conflict["id"]


def test_unauthenticated_calls_answer_401(world, synced):
    actor, _portal, _lead_ids = synced
    assert world.client.post(f"/v1/sync/{actor.partner_id}/hubspot").status_code == 401
    assert world.client.get("/v1/sync/conflicts").status_code == 401


def test_a_partner_without_hubspot_gets_409(world, actors):
    owner = actors.partner_owner()
    answer = world.trigger(owner)
    assert answer.status_code == 409 and "hubspotConnected" in answer.get_json()["errors"]


def test_connecting_starts_the_first_sync(world, events):
    actor, _portal = world.connect()
    [task] = world.client.get("/v1/sync/tasks", headers=actor.headers).get_json()["items"]
    assert (task["trigger"], task["status"], task["full"]) == ("connected", "queued", True)


def test_a_second_trigger_answers_the_running_task(world, synced):
    actor, _portal, _lead_ids = synced
    first = world.trigger(actor).get_json()
    second = world.trigger(actor).get_json()
    assert first["taskId"] == second["taskId"]
    world.run_jobs()
    assert world.task(actor, first["taskId"])["status"] == "completed"
    assert world.trigger(actor).get_json()["taskId"] != first["taskId"]


def test_racing_triggers_open_exactly_one_task(world, synced, app, db_latency):
    actor, _portal, _lead_ids = synced
    db_latency.rendezvous("find", "sync_tasks", parties=3)  # every racer looks for a running task first
    start = threading.Barrier(3)
    answers = []

    def trigger():
        client = app.test_client()
        start.wait()
        answers.append(client.post(f"/v1/sync/{actor.partner_id}/hubspot", headers=actor.headers))

    threads = [threading.Thread(target=trigger) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [202, 202, 202]
    assert len({a.get_json()["taskId"] for a in answers}) == 1
    queued = world.client.get("/v1/sync/tasks", query_string={"status": "queued"}, headers=actor.headers)
    assert queued.get_json()["total"] == 1


def test_a_manual_trigger_widens_a_webhook_task_to_a_full_sync(world, synced):
    actor, portal, lead_ids = synced
    world.admin.user_changes_deal(portal, world.deal_of(portal, lead_ids[0])["id"], {"amount": "5"})
    world.deliver_webhooks()
    world.edit_lead(actor, lead_ids[1], dealAmount=606)
    webhook_task = world.client.get("/v1/sync/tasks", query_string={"status": "queued"},
                                    headers=actor.headers).get_json()["items"][0]
    assert webhook_task["full"] is False

    answer = world.trigger(actor).get_json()
    world.run_jobs()

    assert answer["taskId"] == webhook_task["id"]
    task = world.task(actor, webhook_task["id"])
    assert task["full"] is True and task["status"] == "completed"
    assert world.lead(lead_ids[0])["deal_amount"] == 500
    assert world.deal_of(portal, lead_ids[1])["properties"]["amount"] == "6.06"


def test_every_connected_partner_is_synced_by_the_periodic_job(world, app, actors):
    first, _ = world.connect()
    second, _ = world.connect()
    actors.partner_owner()  # not connected: no task
    world.run_jobs()
    from plugins.sync.jobs import sync_connected_partners

    with app.app_context():
        assert sync_connected_partners() == 2
    for actor in (first, second):
        [task, _first] = world.client.get("/v1/sync/tasks", headers=actor.headers).get_json()["items"]
        assert (task["trigger"], task["status"]) == ("schedule", "queued")


def test_a_task_whose_worker_vanished_is_queued_again_and_finishes(world, synced, app):
    actor, portal, lead_ids = synced
    world.edit_lead(actor, lead_ids[0], dealAmount=4321)
    task_id = world.trigger(actor).get_json()["taskId"]
    world.jobs.queued("sync")[0].delete()  # the job is lost (a worker died holding it)
    from plugins.sync.models import SyncTask

    with app.app_context():
        SyncTask.objects(id=task_id).update_one(set__status="running", set__owner="gone:1:x", set__lease_until_ms=1)
    assert world.trigger(actor).get_json()["taskId"] == task_id  # the lease ran out: queued again
    world.run_jobs()
    assert world.task(actor, task_id)["status"] == "completed"
    assert world.deal_of(portal, lead_ids[0])["properties"]["amount"] == "43.21"


def test_a_worker_that_lost_its_task_stops_before_its_next_hubspot_call(world, synced, app):
    import time

    import pytest

    actor, portal, lead_ids = synced
    world.edit_lead(actor, lead_ids[0], dealAmount=1)
    task_id = world.trigger(actor).get_json()["taskId"]
    app.config["SYNC_LEASE_SECONDS"] = 1
    from plugins.sync.models import SyncTask
    from plugins.sync.services import tasks
    from plugins.sync.services.run import SyncRun, TaskSuperseded

    with app.app_context():
        task = tasks.claim(task_id, "slow:1:a")
        run = SyncRun(task, "slow:1:a")
        time.sleep(0.4)  # a long batch; meanwhile its lease ran out and another worker took the task
        SyncTask.objects(id=task_id).update_one(set__owner="fast:2:b", set__lease_until_ms=tasks.now_ms() + 60_000)
        before = len(world.crm_calls(portal))
        with pytest.raises(TaskSuperseded):
            run.api.read_deals([world.link(lead_ids[0])["deal_id"]])
    assert world.crm_calls(portal, before) == []
