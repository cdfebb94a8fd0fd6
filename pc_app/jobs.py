"""Background jobs on RQ: queues, the enqueue helper, and JobSpec for periodic jobs.

Jobs take ids and primitives, never documents, and run inside an app context built from the
same configuration as the API.
"""
from __future__ import annotations

import datetime as dt
import importlib
import logging
from dataclasses import dataclass, field

from rq import Queue, Retry

from .redis_client import get_redis

log = logging.getLogger("pc_app.jobs")

QUEUES = ("default", "mail", "sync", "webhooks")

# What RQ executes for every job: the job function inside an app context (pc_app.worker).
JOB_TARGET = "pc_app.worker.run_in_app"


@dataclass(frozen=True)
class JobSpec:
    """A periodic job declared by a plugin; ``id`` is stable so the scheduler can reconcile."""
    id: str
    func: str
    interval: int | None = None
    cron: str | None = None
    queue: str = "default"
    timeout: int = 300
    description: str = ""
    retries: int = 0
    args: tuple = field(default_factory=tuple)

    def __post_init__(self):
        if (self.interval is None) == (self.cron is None):
            raise ValueError(f"JobSpec {self.id}: give exactly one of interval or cron.")
        if self.queue not in QUEUES:
            raise ValueError(f"JobSpec {self.id}: unknown queue {self.queue!r}.")


def import_path(path: str):
    """The object a dotted path names (``package.module.function``)."""
    module_name, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def func_path(func) -> str:
    return func if isinstance(func, str) else f"{func.__module__}.{func.__qualname__}"


# The core's own periodic jobs.
CORE_JOBS = (
    JobSpec(id="core.sweep_events", func="pc_app.event_delivery.sweep_events", interval=60, queue="default",
            timeout=120, description="Queue again the events whose durable deliveries are still open"),
)


def registered_job_specs(app) -> dict[str, JobSpec]:
    """The core's and every enabled plugin's periodic jobs by id; two owners of one id stop start-up."""
    from .plugins import call_hook

    specs: dict[str, JobSpec] = {spec.id: spec for spec in CORE_JOBS}
    owners: dict[str, str] = {spec.id: "core" for spec in CORE_JOBS}
    for plugin_name, plugin_specs in call_hook(app.extensions["pc_plugin_manager"], "pc_register_jobs"):
        for spec in plugin_specs or []:
            if spec.id in specs:
                raise ValueError(f"Periodic job id {spec.id!r} is declared by both {owners[spec.id]} "
                                 f"and {plugin_name}.")
            specs[spec.id], owners[spec.id] = spec, plugin_name
    return specs


def start_periodic_job(func: str, queue: str, timeout: int, retries: int, *args):
    """Job: one tick of a periodic job, queued as a fresh job so every tick gets all its retries."""
    return enqueue(func, *args, queue=queue, timeout=timeout, retries=retries).id


def enqueue_job_spec(spec: JobSpec):
    """Queue one run of a periodic job now (the cron endpoint and the scheduler's ticks)."""
    return enqueue(spec.func, *spec.args, queue=spec.queue, timeout=spec.timeout, retries=spec.retries)


def get_queue(name: str = "default", app=None) -> Queue:
    if name not in QUEUES:
        raise ValueError(f"Unknown queue {name!r}")
    return Queue(name, connection=get_redis(app))


def enqueue(func, *args, queue: str = "default", job_id: str | None = None, at: dt.datetime | None = None,
            retries: int = 0, retry_intervals=(10, 60, 300), timeout: int = 300, result_ttl: int = 3600,
            **kwargs):
    """Queue ``func(*args, **kwargs)`` to run in a worker; ``at`` schedules it for later.

    ``result_ttl`` is how long a finished job (with its arguments) stays in Redis; 0 deletes it
    at once, for jobs whose arguments should not linger.
    """
    q = get_queue(queue)
    options = {"job_timeout": timeout, "result_ttl": result_ttl, "failure_ttl": 7 * 24 * 3600,
               "description": func_path(func)}
    if job_id:
        options["job_id"] = job_id
    if retries:
        options["retry"] = Retry(max=retries, interval=list(retry_intervals))
    target = JOB_TARGET
    job_args = (func_path(func), *args)
    if at is not None:
        return q.enqueue_at(at, target, args=job_args, kwargs=kwargs, **options)
    return q.enqueue(target, args=job_args, kwargs=kwargs, **options)



def cancel_job(job_id: str) -> bool:
    """Forget a queued or scheduled job by its id (a reservation's expiry once it is bought); False if none."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        Job.fetch(job_id, connection=get_redis()).delete()
    except NoSuchJobError:
        return False
    return True
