"""Periodic jobs: reconcile the plugins' JobSpecs into rq-scheduler and run it.

Like Redash, the scheduler's content is derived from code at every start: each JobSpec is
held under a stable id (``periodic-<spec.id>``) with a fingerprint of everything that
shapes it, so a restart adds nothing twice, a changed spec replaces the old entry and a
spec that disappeared is cancelled. Entries other programs scheduled are left alone.

Only one scheduler runs at a time, even when a rollout or a stuck node leaves two pods up: the
leader holds a Redis lease (a key with a TTL it renews on every tick); another waits as a
standby and takes over when the lease is released or lapses.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import signal
import socket
import time
import uuid
from dataclasses import dataclass, field

from .jobs import JOB_TARGET, JobSpec

log = logging.getLogger("pc_app.scheduling")

JOB_ID_PREFIX = "periodic-"
LEASE_KEY = "pc:scheduler:lease"
LEASE_TTL_SECONDS = 30


def scheduled_job_id(spec: JobSpec) -> str:
    """RQ accepts only letters, digits, ``_`` and ``-`` in ids, so ``payments.sweep`` becomes ``periodic-payments_sweep``."""
    return JOB_ID_PREFIX + re.sub(r"[^A-Za-z0-9_-]", "_", spec.id)


def spec_fingerprint(spec: JobSpec) -> str:
    """A digest of what decides how the job runs; a change means the entry must be replaced."""
    shape = {"func": spec.func, "interval": spec.interval, "cron": spec.cron, "queue": spec.queue,
             "timeout": spec.timeout, "retries": spec.retries, "args": list(spec.args)}
    return hashlib.sha256(json.dumps(shape, sort_keys=True, default=str).encode()).hexdigest()[:16]


def period_seconds(spec: JobSpec) -> int:
    """Seconds between two runs: the interval, or the longest gap among a cron's next few runs."""
    if spec.interval:
        return spec.interval
    from crontab import CronTab

    cron, at, gaps = CronTab(spec.cron), dt.datetime(2026, 1, 1), []
    at += dt.timedelta(seconds=cron.next(now=at, default_utc=True))
    for _ in range(8):
        gap = cron.next(now=at, default_utc=True)
        gaps.append(gap)
        at += dt.timedelta(seconds=gap)
    return int(max(gaps))


def result_ttl_for(spec: JobSpec) -> int:
    """Twice the period: rq-scheduler silently drops a repeating job whose stored job expired."""
    return period_seconds(spec) * 2 + 60


@dataclass
class ReconcileReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _schedule(scheduler, spec: JobSpec):
    """Hold one spec in rq-scheduler; each tick queues a fresh job with the spec's retries."""
    options = dict(
        func=JOB_TARGET,
        args=("pc_app.jobs.start_periodic_job", spec.func, spec.queue, spec.timeout, spec.retries, *spec.args),
        id=scheduled_job_id(spec), queue_name=spec.queue, timeout=spec.timeout,
        result_ttl=result_ttl_for(spec), description=spec.description or spec.id,
        meta={"pc_fingerprint": spec_fingerprint(spec), "pc_spec_id": spec.id},
    )
    if spec.interval:
        return scheduler.schedule(dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), interval=spec.interval,
                                  **options)
    return scheduler.cron(spec.cron, **options)


def reconcile_schedule(scheduler, specs) -> ReconcileReport:
    """Make rq-scheduler hold exactly ``specs`` among the entries whose id starts with ``periodic-``."""
    wanted = {scheduled_job_id(spec): spec for spec in specs}
    held = {job.id: job for job in scheduler.get_jobs() if job.id.startswith(JOB_ID_PREFIX)}
    report = ReconcileReport()
    for job_id, job in held.items():
        if job_id not in wanted:
            scheduler.cancel(job)
            job.delete()
            report.cancelled.append(job_id)
    for job_id, spec in wanted.items():
        job = held.get(job_id)
        if job is not None and job.meta.get("pc_fingerprint") == spec_fingerprint(spec):
            report.unchanged.append(job_id)
            continue
        if job is not None:
            scheduler.cancel(job)
            job.delete()
            report.replaced.append(job_id)
        else:
            report.added.append(job_id)
        _schedule(scheduler, spec)
    log.info("schedule reconciled: added=%s replaced=%s cancelled=%s unchanged=%d",
             report.added, report.replaced, report.cancelled, len(report.unchanged))
    return report


class SchedulerLease:
    """The right to be the one running scheduler: a Redis key holding this process's token, with a TTL.

    Renewal and release compare the token first (in a Lua script, so atomically): a process whose
    lease lapsed can never extend or delete the next leader's.
    """

    _RENEW = ("if redis.call('get', KEYS[1]) == ARGV[1] then "
              "return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end")
    _RELEASE = ("if redis.call('get', KEYS[1]) == ARGV[1] then "
                "return redis.call('del', KEYS[1]) else return 0 end")

    def __init__(self, redis, ttl: int = LEASE_TTL_SECONDS, key: str = LEASE_KEY):
        self.redis, self.ttl, self.key = redis, ttl, key
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def acquire(self) -> bool:
        return bool(self.redis.set(self.key, self.token, nx=True, px=int(self.ttl * 1000)))

    def renew(self) -> bool:
        return self.redis.eval(self._RENEW, 1, self.key, self.token, int(self.ttl * 1000)) == 1

    def release(self) -> bool:
        return self.redis.eval(self._RELEASE, 1, self.key, self.token) == 1

    def holder(self) -> str | None:
        value = self.redis.get(self.key)
        return value.decode() if isinstance(value, bytes) else value


class LeaseLost(RuntimeError):
    """Another scheduler took over (this one stalled past the lease's TTL)."""


def _leased_scheduler_class():
    from rq_scheduler import Scheduler

    class LeasedScheduler(Scheduler):
        """rq-scheduler that renews the lease and beats on every tick, and stops when the lease is gone."""

        def __init__(self, *args, lease: SchedulerLease, beat_ttl: int, **kwargs):
            super().__init__(*args, **kwargs)
            self.lease, self.beat_ttl = lease, beat_ttl

        def heartbeat(self):
            super().heartbeat()
            if not self.lease.renew():
                raise LeaseLost(f"Another scheduler ({self.lease.holder() or 'none'}) holds the lease now; "
                                "this one stops.")
            from .heartbeats import beat

            beat(self.connection, "scheduler", self.beat_ttl, state="leader")

    return LeasedScheduler


def wait_for_lease(lease: SchedulerLease, poll_seconds: float, beat_ttl: int) -> None:
    """Block until this process holds the lease, beating as a standby meanwhile (its probe stays green)."""
    from .heartbeats import beat

    announced = False
    while not lease.acquire():
        if not announced:
            log.info("another scheduler holds the lease (%s); waiting to take over", lease.holder())
            announced = True
        beat(lease.redis, "scheduler", beat_ttl, state="standby")
        time.sleep(poll_seconds)
    log.info("scheduler lease acquired (%s)", lease.token)


def _stop_on_sigterm(signum, frame) -> None:
    raise SystemExit(0)


def run_scheduler(interval: int = 5, burst: bool = False, lease_ttl: int = LEASE_TTL_SECONDS) -> None:
    """``pc-app scheduler``: take the lease, reconcile the enabled plugins' specs, then move due jobs to their queues."""
    from . import create_app
    from .jobs import registered_job_specs
    from .redis_client import check_redis, get_redis

    # create_app sets up the JSON logs (LOG_LEVEL, secrets redacted) for this process too.
    app = create_app()
    beat_ttl = max(30, interval * 3)
    # SIGTERM leaves through ``finally`` (the lease released) from the start: rq-scheduler installs its
    # own handler only once it runs, and a standby never runs it. Without this, a SIGTERM while
    # waiting, or between taking the lease and running, killed the process (-15) holding the lease.
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    with app.app_context():
        redis = get_redis(app)
        check_redis(redis)
        lease = SchedulerLease(redis, ttl=lease_ttl)
        try:
            wait_for_lease(lease, poll_seconds=min(interval, max(1, lease_ttl / 3)), beat_ttl=beat_ttl)
            scheduler = _leased_scheduler_class()(connection=redis, interval=interval, lease=lease,
                                                  beat_ttl=beat_ttl)
            report = reconcile_schedule(scheduler, registered_job_specs(app).values())
            log.info("periodic jobs: %d added, %d replaced, %d cancelled, %d unchanged", len(report.added),
                     len(report.replaced), len(report.cancelled), len(report.unchanged))
            scheduler.run(burst=burst)
        except LeaseLost as exc:
            log.error("%s", exc)  # the sentence, as a JSON line like everything else this process writes
            raise SystemExit(1) from None
        finally:
            lease.release()
