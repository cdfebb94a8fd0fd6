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


def test_worker_writes_json_lines_naming_the_job_it_runs(app_ctx, pc_services):
    import json

    from pc_app.jobs import enqueue

    job = enqueue("tests.runtime.sample_jobs.log_a_line", "hello")

    result = run_pc_app(["worker", "default", "--burst"], service_env(pc_services))

    assert result.returncode == 0, result.stderr[-2000:]
    lines = [json.loads(line) for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    [said] = [line for line in lines if line["logger"] == "tests.runtime.jobs"]
    assert said["message"] == "job says hello with Authorization: Bearer [redacted]"
    assert said["jobId"] == job.id and said["jobFunc"] == "tests.runtime.sample_jobs.log_a_line"
    assert said["level"] == "info" and said["time"].endswith("+00:00")
    assert any(line["logger"] == "rq.worker" for line in lines)  # RQ's own lines are JSON too


def test_health_worker_is_green_only_while_a_worker_beats_on_this_host(app, pc_services):
    import signal
    import subprocess
    import time

    from .processes import PC_APP, REPO

    env = service_env(pc_services)
    before = run_pc_app(["health", "worker"], env)
    assert before.returncode == 1 and "No worker heartbeat" in before.stderr

    worker = subprocess.Popen([PC_APP, "worker", "default"], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        # Green from the first beat ("started"), then "idle" once the worker waits for jobs.
        while not (alive := run_pc_app(["health", "worker"], env)).stdout.startswith("worker idle (pid "):
            assert worker.poll() is None and time.monotonic() < deadline, (alive.stdout, alive.stderr)
            assert alive.returncode == 0 or "No worker heartbeat" in alive.stderr, alive.stderr
            time.sleep(0.3)
        assert alive.returncode == 0
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
