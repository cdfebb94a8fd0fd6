"""The RQ dashboard an operator runs (docs/operations.md) starts from the image's packages and sees our queues."""
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from pc_app.devstack import free_port

from .processes import REPO

RQ_DASHBOARD = str(Path(sys.executable).parent / "rq-dashboard")


def test_rq_dashboard_lists_the_queues_with_their_jobs(app_ctx, pc_services):
    from pc_app.jobs import enqueue

    enqueue("tests.runtime.sample_jobs.record_run", "waiting", queue="mail")
    port = free_port()
    # As documented: the Redis URL through the environment, never on the command line.
    env = {"RQ_DASHBOARD_REDIS_URL": pc_services.redis_url, "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen([RQ_DASHBOARD, "--bind", "127.0.0.1", "--port", str(port)], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/0/data/queues.json", timeout=5) as answer:
                    queues = {q["name"]: q["count"] for q in json.loads(answer.read())["queues"]}
                break
            except (urllib.error.URLError, OSError):
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert queues["mail"] == 1
