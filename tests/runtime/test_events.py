"""Events: the catalog refuses what is not declared, subscribers hear by name or prefix, a failing
in-request subscriber harms nobody, and durable subscribers hear every event at least once."""
import logging
import os
import signal
import subprocess
import time

import pytest

from pc_app.event_delivery import StoredEvent, delivery_status, sweep_events
from pc_app.events import EventError, emit

from .conftest import QUIET_PLUGIN, release_retries
from .event_plugins import heard
from .event_plugins.durable import EFFECTS

LISTENERS = {name: f"tests.runtime.event_plugins.{module}" for name, module in
             [("listener_first", "first"), ("listener_broken", "broken"), ("listener_last", "last"),
              ("durable_probe", "durable")]}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PC_PLUGINS": list(LISTENERS), "PC_EXTRA_PLUGINS": {**QUIET_PLUGIN, **LISTENERS}}


def effects(app) -> list[dict]:
    from pc_app.db import database

    with app.app_context():
        return list(database()[EFFECTS].find())


def test_subscribers_hear_by_name_and_prefix_only(app_ctx):
    thing = emit("runtime.thing_happened", partner_ids=["p1", None, "p2", "p1"], actor="system", payload={"n": 1})
    other = emit("runtime.other_thing")

    assert sorted(heard(app_ctx)) == sorted([f"listener_first:runtime.thing_happened:{thing.id}",
                                             f"listener_last:runtime.thing_happened:{thing.id}",
                                             f"listener_first:runtime.other_thing:{other.id}"])
    assert thing.partner_ids == ("p1", "p2")
    assert thing.as_dict()["occurredAt"].endswith("+00:00")


def test_emit_refuses_an_undeclared_event_or_payload_field(app_ctx):
    with pytest.raises(EventError, match="runtime.never_declared is not declared"):
        emit("runtime.never_declared")
    with pytest.raises(EventError, match="no payload field.*colour"):
        emit("runtime.thing_happened", payload={"colour": "red"})
    with pytest.raises(EventError, match="without n"):
        emit("runtime.durable_thing", payload={})
    assert heard(app_ctx) == []
    assert StoredEvent.objects.count() == 0


def test_disabled_plugin_hears_nothing(app_config):
    from pc_app import create_app

    app = create_app({**app_config, "PC_PLUGINS": ["listener_first"],
                      "PC_EXTRA_PLUGINS": {"listener_first": LISTENERS["listener_first"]}})
    with app.app_context():
        event = emit("runtime.thing_happened")
    assert heard(app) == [f"listener_first:runtime.thing_happened:{event.id}"]


def test_two_plugins_declaring_one_event_stop_start_up(app_config, tmp_path):
    from pc_app import create_app

    clash = {"listener_first": LISTENERS["listener_first"], "listener_copy": "tests.runtime.event_plugins.copy"}
    with pytest.raises(EventError, match="runtime.other_thing is declared by both listener_copy and listener_first"):
        create_app({**app_config, "PC_PLUGINS": list(clash), "PC_EXTRA_PLUGINS": clash})


def test_failing_subscriber_neither_breaks_the_request_nor_the_others(client, app, actors, caplog):
    seller = actors.partner_owner()
    caplog.set_level(logging.ERROR, logger="pc_app.events")

    response = client.post("/v1/leads", headers=seller.headers,
                           json={"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com"})

    assert response.status_code == 201, response.get_json()
    heard_now = heard(app)
    assert sorted(entry.split(":")[0] for entry in heard_now) == ["listener_first", "listener_last"]
    event_id = heard_now[0].rsplit(":", 1)[1]
    failures = [r for r in caplog.records if r.name == "pc_app.events"]
    assert len(failures) == 1
    assert "listener_broken" in failures[0].getMessage() and event_id in failures[0].getMessage()
    assert failures[0].exc_info is not None


def test_durable_subscriber_hears_the_event_from_a_job(app_ctx, jobs):
    event = emit("runtime.durable_thing", payload={"n": 7})

    assert effects(app_ctx) == []  # not in the request: from the job
    assert delivery_status(event.id)["durable_probe.remember"]["status"] == "pending"
    assert jobs.run() == 1
    assert [(e["_id"], e["name"], e["calls"]) for e in effects(app_ctx)] == [(event.id, "runtime.durable_thing", 1)]
    state = delivery_status(event.id)["durable_probe.remember"]
    assert state["status"] == "delivered" and state["attempts"] == 1
    assert StoredEvent.objects(id=event.id).first().open_deliveries == 0


def test_failed_durable_delivery_is_retried_later_not_at_once(app_ctx, jobs):
    from rq.registry import ScheduledJobRegistry

    from pc_app.jobs import get_queue
    from pc_app.redis_client import get_redis

    get_redis().set("test:durable-fail", 1)
    event = emit("runtime.durable_thing", payload={"n": 1})
    before = time.time()
    jobs.run()

    first = delivery_status(event.id)["durable_probe.remember"]
    assert first["status"] == "pending" and first["attempts"] == 1 and "fails on purpose" in first["error"]
    assert first["due_ms"] >= (before + 5 * 0.8) * 1000  # EVENTS_RETRY_BASE_SECONDS=5, with jitter
    [retry] = ScheduledJobRegistry(queue=get_queue("default")).get_job_ids()
    scheduled_at = ScheduledJobRegistry(queue=get_queue("default")).get_scheduled_time(retry)
    assert abs(scheduled_at.timestamp() * 1000 - first["due_ms"]) < 1500
    assert sweep_events(now_ms=int(time.time() * 1000) + 60_000) == 1  # the sweeper also knows it is due


def test_durable_delivery_is_retried_until_it_succeeds(app_ctx, jobs):
    from pc_app.redis_client import get_redis

    app_ctx.config["EVENTS_RETRY_BASE_SECONDS"] = 0
    get_redis().set("test:durable-fail", 2)
    event = emit("runtime.durable_thing", payload={"n": 1})

    jobs.run()
    assert delivery_status(event.id)["durable_probe.remember"]["attempts"] == 1
    assert release_retries(app_ctx, "default")  # the retry was scheduled with rq
    jobs.run()
    assert delivery_status(event.id)["durable_probe.remember"]["attempts"] == 2
    release_retries(app_ctx, "default")
    jobs.run()
    state = delivery_status(event.id)["durable_probe.remember"]
    assert state["status"] == "delivered" and state["attempts"] == 3
    assert effects(app_ctx)[0]["calls"] == 1


def test_durable_delivery_gives_up_after_max_attempts_and_says_so(app_ctx, jobs, caplog):
    from pc_app.redis_client import get_redis

    app_ctx.config["EVENTS_RETRY_BASE_SECONDS"] = 0
    get_redis().set("test:durable-fail", 10)
    event = emit("runtime.durable_thing", payload={"n": 1})
    for _ in range(3):
        jobs.run()
        release_retries(app_ctx, "default")

    state = delivery_status(event.id)["durable_probe.remember"]
    assert state["status"] == "dead" and state["attempts"] == 3
    assert StoredEvent.objects(id=event.id).first().open_deliveries == 0
    assert sweep_events(now_ms=int(time.time() * 1000) + 3600_000) == 0


def test_sweeper_delivers_what_redis_never_got_and_only_that(app_ctx, jobs):
    from pc_app.redis_client import get_redis

    event = emit("runtime.durable_thing", payload={"n": 1})
    get_redis().flushdb()  # the queued job is lost (Redis restarted without persistence)

    assert sweep_events() == 0  # too fresh: emit's own job may still be on its way
    assert sweep_events(now_ms=int(time.time() * 1000) + 60_000) == 1
    jobs.run()
    assert [e["calls"] for e in effects(app_ctx)] == [1]
    assert sweep_events(now_ms=int(time.time() * 1000) + 60_000) == 0
    assert delivery_status(event.id)["durable_probe.remember"]["status"] == "delivered"


def test_two_deliveries_racing_run_the_subscriber_once(app_ctx):
    """Two workers handed the same event: the claim on the attempt number lets one through."""
    import threading

    from pc_app.event_delivery import deliver_event

    event = emit("runtime.durable_thing", payload={"n": 1})
    barrier = threading.Barrier(2)
    outcomes = []

    def deliver():
        with app_ctx.app_context():
            barrier.wait()
            outcomes.append(deliver_event(event.id))

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(o) for o in outcomes) == [0, 1]
    assert effects(app_ctx)[0]["calls"] == 1


def test_worker_killed_mid_delivery_loses_nothing_and_the_effect_happens_once(app_ctx, pc_services, tmp_path, jobs):
    """SIGKILL a real worker while the subscriber runs; after its lease the sweeper hands the event on."""
    from pc_app.redis_client import get_redis
    from pc_app.testing import write_plugin_distribution

    from .processes import PC_APP, REPO, service_env

    write_plugin_distribution(tmp_path, "durable_probe",
                              plugin_source="from tests.runtime.event_plugins.durable import "
                                            "pc_register_events, pc_register_subscriptions  # noqa\n")
    app_ctx.config["EVENTS_LEASE_SECONDS"] = 1
    event = emit("runtime.durable_thing", payload={"n": 1})
    get_redis().set("test:durable-block", 1)
    env = service_env(pc_services, PC_PLUGINS="durable_probe", EVENTS_LEASE_SECONDS="1",
                      PYTHONPATH=f"{tmp_path}{os.pathsep}{REPO}")
    worker = subprocess.Popen([PC_APP, "worker", "default"], env=env, cwd=REPO, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=open(tmp_path / "worker.log", "w"))
    try:
        deadline = time.time() + 30
        while not effects(app_ctx) and time.time() < deadline:
            time.sleep(0.05)
        assert effects(app_ctx), "the worker never started the delivery"
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    horse = effects(app_ctx)[0]["pid"]  # rq's work horse runs in a session of its own
    if horse != worker.pid:
        os.kill(horse, signal.SIGKILL)
    assert delivery_status(event.id)["durable_probe.remember"]["status"] == "running"
    get_redis().delete("test:durable-block")

    get_redis().flushdb()  # what the dead worker held in Redis is gone too
    time.sleep(1.1)  # the lease runs out
    assert sweep_events(now_ms=int(time.time() * 1000) + 60_000) == 1
    jobs.run()

    state = delivery_status(event.id)["durable_probe.remember"]
    assert state["status"] == "delivered" and state["attempts"] == 2
    [effect] = effects(app_ctx)
    assert effect["_id"] == event.id and effect["calls"] == 2  # delivered twice, one effect
    assert sweep_events(now_ms=int(time.time() * 1000) + 60_000) == 0
