"""Heartbeats of the worker and scheduler processes in Redis, read by their liveness probes (``pc-app health``).

A process beats under ``pc:heartbeat:<role>:<host>`` with a TTL; the key exists only while the
process beats on time. In Kubernetes the host is the pod name, so an exec probe running in the
container finds the beat of the process beside it.
"""
from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass

ROLES = ("worker", "scheduler")
KEY_PREFIX = "pc:heartbeat:"


def heartbeat_key(role: str, host: str | None = None) -> str:
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}; choose from {', '.join(ROLES)}.")
    return f"{KEY_PREFIX}{role}:{host or socket.gethostname()}"


def beat(redis, role: str, ttl: int, state: str = "running", pipeline=None) -> None:
    """Record that this process is alive; the beat lapses after ``ttl`` seconds unless renewed."""
    value = json.dumps({"at": time.time(), "pid": os.getpid(), "state": state})
    (pipeline if pipeline is not None else redis).set(heartbeat_key(role), value, ex=max(1, int(ttl)))


@dataclass(frozen=True)
class Health:
    ok: bool
    sentence: str


def check(redis, role: str) -> Health:
    """Whether a ``role`` process on this host beat within its TTL, in one sentence either way."""
    key = heartbeat_key(role)
    try:
        raw = redis.get(key)
    except Exception as exc:
        return Health(False, f"Redis is unreachable ({type(exc).__name__}); cannot read the {role}'s heartbeat.")
    if raw is None:
        return Health(False, f"No {role} heartbeat from {socket.gethostname()} within its TTL.")
    data = json.loads(raw)
    age = max(0.0, time.time() - float(data["at"]))
    return Health(True, f"{role} {data['state']} (pid {data['pid']}), last beat {age:.0f} s ago.")
