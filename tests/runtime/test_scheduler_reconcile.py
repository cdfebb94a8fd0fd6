"""The scheduler holds exactly the plugins' periodic jobs, whatever happened before it started."""
import datetime
import json

import pytest
from rq_scheduler import Scheduler

from pc_app.jobs import JobSpec
from pc_app.redis_client import get_redis
from pc_app.scheduling import reconcile_schedule, result_ttl_for

from .sample_jobs import runs

SWEEP = JobSpec(id="sweep", func="tests.runtime.sample_jobs.record_run", interval=60, args=("sweep",),
                description="sweep reservations")
REFRESH = JobSpec(id="refresh", func="tests.runtime.sample_jobs.record_run", cron="*/5 * * * *",
                  queue="sync", args=("refresh",))


@pytest.fixture
def scheduler(app):
    return Scheduler(connection=get_redis(app), interval=1)


def held(scheduler):
    return {job.id: job for job in scheduler.get_jobs()}


def test_fresh_scheduler_gets_every_spec_with_stable_ids(scheduler):
    report = reconcile_schedule(scheduler, [SWEEP, REFRESH])

    jobs = held(scheduler)
    assert sorted(jobs) == ["periodic-refresh", "periodic-sweep"]
    assert sorted(report.added) == ["periodic-refresh", "periodic-sweep"]
    assert jobs["periodic-sweep"].meta["interval"] == 60
    assert jobs["periodic-refresh"].meta["cron_string"] == "*/5 * * * *"
    assert jobs["periodic-refresh"].origin == "sync"
    assert jobs["periodic-sweep"].result_ttl > 60
    assert result_ttl_for(SWEEP) > SWEEP.interval


def test_restart_reconciles_without_duplicating_anything(scheduler):
    reconcile_schedule(scheduler, [SWEEP, REFRESH])
    before = {job_id: job.meta["pc_fingerprint"] for job_id, job in held(scheduler).items()}

    report = reconcile_schedule(scheduler, [SWEEP, REFRESH])

    assert scheduler.count() == 2
    assert sorted(report.unchanged) == ["periodic-refresh", "periodic-sweep"]
    assert report.added == report.replaced == report.cancelled == []
    assert {job_id: job.meta["pc_fingerprint"] for job_id, job in held(scheduler).items()} == before


def test_changed_spec_replaces_the_old_entry(scheduler):
    reconcile_schedule(scheduler, [SWEEP, REFRESH])
    faster = JobSpec(id="sweep", func=SWEEP.func, interval=30, args=("sweep",))

    report = reconcile_schedule(scheduler, [faster, REFRESH])

    assert report.replaced == ["periodic-sweep"]
    assert scheduler.count() == 2
    assert held(scheduler)["periodic-sweep"].meta["interval"] == 30


def test_removed_spec_is_cancelled_and_foreign_entries_stay(scheduler, app):
    reconcile_schedule(scheduler, [SWEEP, REFRESH])
    foreign = scheduler.schedule(scheduled_time=datetime.datetime.utcnow(),
                                 func="tests.runtime.sample_jobs.record_run", args=("foreign",), interval=600,
                                 id="someone-else-job")

    report = reconcile_schedule(scheduler, [REFRESH])

    assert report.cancelled == ["periodic-sweep"]
    assert sorted(held(scheduler)) == ["periodic-refresh", foreign.id]


def test_due_periodic_job_runs_in_an_app_context_on_its_queue(scheduler, app, jobs):
    reconcile_schedule(scheduler, [SWEEP])

    scheduler.enqueue_jobs()  # what one tick of `pc-app scheduler` does
    jobs.run()  # the tick queues a fresh job; the worker runs both

    assert runs(app) == ["sweep"]
    assert "periodic-sweep" in scheduler  # and it stays scheduled for the next interval


def test_failing_periodic_job_is_retried_per_its_spec(scheduler, app, jobs):
    flaky = JobSpec(id="flaky", func="tests.runtime.sample_jobs.fail_until_attempt", interval=60,
                    args=("flaky", 2), retries=1)
    reconcile_schedule(scheduler, [flaky])
    scheduler.enqueue_jobs()

    jobs.run()

    from rq.registry import ScheduledJobRegistry
    from pc_app.jobs import get_queue
    with app.app_context():
        registry = ScheduledJobRegistry(queue=get_queue("default"))
        retried = registry.get_job_ids()
        assert len(retried) == 1  # the failed tick waits for its retry
        for job_id in retried:
            get_queue("default").enqueue_job(get_queue("default").fetch_job(job_id))
            registry.remove(job_id)
    jobs.run()
    assert runs(app) == ["flaky"]


def test_scheduler_reconciles_what_the_enabled_plugins_declare(app_config, app):
    from pc_app import create_app
    from pc_app.jobs import registered_job_specs

    from .conftest import QUIET_PLUGIN

    with_plugin = create_app({**app_config, "PC_PLUGINS": ["runtime_periodic"],
                              "PC_EXTRA_PLUGINS": {**QUIET_PLUGIN,
                                                   "runtime_periodic": "tests.runtime.periodic_plugin"}})
    specs = registered_job_specs(with_plugin)
    assert list(specs) == ["core.sweep_events", "nightly-digest"]  # the core's own, then the plugin's

    scheduler = Scheduler(connection=get_redis(with_plugin))
    reconcile_schedule(scheduler, specs.values())
    assert sorted(job.id for job in scheduler.get_jobs()) == ["periodic-core_sweep_events", "periodic-nightly-digest"]


def test_two_plugins_declaring_one_job_id_stop_start_up(app_config, app):
    from pc_app import create_app
    from pc_app.jobs import registered_job_specs

    twice = create_app({**app_config, "PC_PLUGINS": ["runtime_periodic", "runtime_periodic_copy"],
                        "PC_EXTRA_PLUGINS": {"runtime_periodic": "tests.runtime.periodic_plugin",
                                             "runtime_periodic_copy": "tests.runtime.periodic_plugin_copy"}})
    with pytest.raises(ValueError, match="nightly-digest.*declared by both"):
        registered_job_specs(twice)


def test_scheduler_command_reconciles_at_start(scheduler, pc_services):
    from .processes import run_pc_app, service_env

    gone = JobSpec(id="plugin-that-was-removed", func="tests.runtime.sample_jobs.record_run", interval=60)
    reconcile_schedule(scheduler, [gone])

    result = run_pc_app(["scheduler", "--burst"], service_env(pc_services))

    assert result.returncode == 0, result.stderr[-2000:]
    messages = [json.loads(line)["message"] for line in result.stderr.splitlines() if line.strip()]
    assert any(m.startswith("periodic jobs: ") and "1 cancelled" in m for m in messages)
    assert "periodic-plugin-that-was-removed" not in scheduler


@pytest.mark.parametrize("spec_kwargs, period", [({"interval": 60}, 60), ({"cron": "*/5 * * * *"}, 300),
                                                 ({"cron": "0 3 * * 1"}, 7 * 24 * 3600)])
def test_stored_job_outlives_its_period(spec_kwargs, period):
    spec = JobSpec(id="any", func="tests.runtime.sample_jobs.record_run", **spec_kwargs)
    assert result_ttl_for(spec) > period
