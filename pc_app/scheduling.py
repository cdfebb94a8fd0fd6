"""Periodic jobs: reconcile the plugins' JobSpecs into rq-scheduler and run it.

Like Redash, the scheduler's content is derived from code at every start: each JobSpec is
held under a stable id (``periodic-<spec.id>``) with a fingerprint of everything that
shapes it, so a restart adds nothing twice, a changed spec replaces the old entry and a
spec that disappeared is cancelled. Entries other programs scheduled are left alone.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from dataclasses import dataclass, field

from .jobs import JOB_TARGET, JobSpec

log = logging.getLogger("pc_app.scheduling")

JOB_ID_PREFIX = "periodic-"


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


def run_scheduler(interval: int = 5, burst: bool = False) -> None:
    """``pc-app scheduler``: reconcile the enabled plugins' specs, then move due jobs to their queues."""
    from rq_scheduler import Scheduler

    from . import create_app
    from .jobs import registered_job_specs
    from .redis_client import get_redis

    app = create_app()
    logging.basicConfig(level=app.config["LOG_LEVEL"])
    with app.app_context():
        scheduler = Scheduler(connection=get_redis(app), interval=interval)
        report = reconcile_schedule(scheduler, registered_job_specs(app).values())
        print(f"periodic jobs: {len(report.added)} added, {len(report.replaced)} replaced, "
              f"{len(report.cancelled)} cancelled, {len(report.unchanged)} unchanged", flush=True)
        scheduler.run(burst=burst)
