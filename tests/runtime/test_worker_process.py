"""`pc-app worker` forks a work horse per job and each one talks to MongoDB on its own connection."""
from pc_app.db import database

from .processes import run_pc_app, service_env


def test_forking_worker_runs_jobs_that_write_to_mongodb(app_ctx, pc_services, jobs):
    from pc_app.jobs import enqueue

    first = enqueue("tests.runtime.sample_jobs.record_in_mongo", "first")
    second = enqueue("tests.runtime.sample_jobs.record_in_mongo", "second", queue="sync")

    result = run_pc_app(["worker", "default", "sync", "--burst"], service_env(pc_services))

    assert result.returncode == 0, result.stderr[-2000:]
    traces = list(database()["runtime_job_trace"].find({}, {"_id": 0}))
    assert sorted(t["label"] for t in traces) == ["first", "second"]
    assert len({t["pid"] for t in traces}) == 2  # one work horse per job
    assert "opened before fork" not in result.stderr
    first.refresh(), second.refresh()
    assert first.get_status() == second.get_status() == "finished"


def test_worker_refuses_an_unknown_queue(pc_services):
    result = run_pc_app(["worker", "invoices"], service_env(pc_services))

    assert result.returncode != 0
    assert "Unknown queue(s): invoices" in result.stderr
