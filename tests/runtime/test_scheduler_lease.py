"""One scheduler at a time: real `pc-app scheduler` processes share a Redis lease; a standby waits and takes over."""
from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from pc_app.redis_client import get_redis
from pc_app.scheduling import LEASE_KEY

from .processes import PC_APP, REPO, run_pc_app, service_env


class SchedulerProcess:
    """`pc-app scheduler` in the background, its JSON log lines readable while it runs."""

    def __init__(self, env: dict, log: Path, *args: str):
        self.log = log
        with open(log, "wb") as out:
            self.proc = subprocess.Popen([PC_APP, "scheduler", "--interval", "1", *args], cwd=REPO, env=env,
                                         stdout=out, stderr=subprocess.STDOUT)

    def messages(self) -> list[str]:
        lines = [line for line in self.log.read_text().splitlines() if line.strip()]
        return [json.loads(line)["message"] for line in lines]  # every line is a JSON object

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in message for message in self.messages()):
            assert self.proc.poll() is None or any(text in m for m in self.messages()), self.log.read_text()[-3000:]
            assert time.monotonic() < deadline, f"no {text!r} in:\n{self.log.read_text()[-3000:]}"
            time.sleep(0.1)

    def stop(self, sig=signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=30)


@pytest.fixture
def scheduler_env(pc_services):
    return service_env(pc_services, PC_PLUGINS="registration")


@pytest.fixture
def schedulers(tmp_path):
    started: list[SchedulerProcess] = []

    def start(env, name, *args):
        process = SchedulerProcess(env, tmp_path / f"{name}.log", *args)
        started.append(process)
        return process
    yield start
    for process in started:
        process.stop(signal.SIGKILL)


def lease_holder_pid(app) -> int | None:
    value = get_redis(app).get(LEASE_KEY)
    return int(value.decode().split(":")[1]) if value else None


def test_second_scheduler_waits_while_the_first_runs_and_takes_over_when_it_stops(app, scheduler_env, schedulers):
    first = schedulers(scheduler_env, "first")
    first.wait_for("periodic jobs:")
    second = schedulers(scheduler_env, "second")

    second.wait_for("waiting to take over")
    first.wait_for("periodic jobs:")  # still the leader
    assert not any("periodic jobs:" in m for m in second.messages())  # the standby reconciled nothing
    assert lease_holder_pid(app) == first.proc.pid
    assert second.proc.poll() is None

    assert first.stop() == 0  # SIGTERM: the lease is released on the way out
    second.wait_for("periodic jobs:")
    assert lease_holder_pid(app) == second.proc.pid
    assert second.stop() == 0
    assert get_redis(app).get(LEASE_KEY) is None


def test_a_standby_stops_cleanly_on_sigterm_and_leaves_the_leaders_lease(app, scheduler_env, schedulers):
    """A rollout SIGTERMs standbys too: they leave through the same way out as the leader (exit 0)."""
    leader = schedulers(scheduler_env, "leader")
    leader.wait_for("periodic jobs:")
    standby = schedulers(scheduler_env, "standby")
    standby.wait_for("waiting to take over")

    assert standby.stop() == 0
    assert lease_holder_pid(app) == leader.proc.pid


def test_standby_takes_over_when_the_leader_dies_without_releasing(app, scheduler_env, schedulers):
    first = schedulers(scheduler_env, "first", "--lease-ttl", "3")
    first.wait_for("periodic jobs:")
    second = schedulers(scheduler_env, "second", "--lease-ttl", "3")
    second.wait_for("waiting to take over")

    first.stop(signal.SIGKILL)  # no clean-up: the lease lapses after its TTL
    second.wait_for("periodic jobs:")
    assert lease_holder_pid(app) == second.proc.pid


def test_leader_that_lost_its_lease_stops_in_one_sentence(app, scheduler_env, schedulers):
    leader = schedulers(scheduler_env, "leader")
    leader.wait_for("periodic jobs:")

    get_redis(app).set(LEASE_KEY, "another-host:1:intruder", ex=60)  # as if it had stalled past the TTL

    assert leader.proc.wait(timeout=30) != 0
    assert any("(another-host:1:intruder) holds the lease now" in m for m in leader.messages())
    assert "Traceback" not in leader.log.read_text()
    assert get_redis(app).get(LEASE_KEY) == b"another-host:1:intruder"  # the new leader's lease is untouched


def test_health_scheduler_follows_the_heartbeat(app, scheduler_env, schedulers):
    missing = run_pc_app(["health", "scheduler"], scheduler_env)
    assert missing.returncode == 1
    assert f"No scheduler heartbeat from {socket.gethostname()}" in missing.stderr

    leader = schedulers(scheduler_env, "leader")
    leader.wait_for("periodic jobs:")
    alive = run_pc_app(["health", "scheduler"], scheduler_env)
    assert alive.returncode == 0, alive.stderr
    assert alive.stdout.startswith("scheduler leader (pid ")
