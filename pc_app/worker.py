"""The RQ worker process: one app per process, a fresh MongoDB connection in every work horse."""
from __future__ import annotations

import logging

from flask import has_app_context
from rq import Worker

from .jobs import QUEUES, import_path

log = logging.getLogger("pc_app.worker")

# The app of this worker process, built once by run_worker (or lazily by run_in_app).
_worker_app = None


def run_in_app(path: str, *args, **kwargs):
    """What RQ actually executes (``jobs.JOB_TARGET``): the job function inside an app context.

    Inside a test (or any caller that already has an app context) that app is used; in a
    worker process the app is built once from the environment.
    """
    global _worker_app
    func = import_path(path)
    if has_app_context():
        return func(*args, **kwargs)
    if _worker_app is None:
        from . import create_app
        _worker_app = create_app()
    with _worker_app.app_context():
        return func(*args, **kwargs)


# Seconds an idle worker may go without a heartbeat: RQ beats every WORKER_TTL - 15 s while idle and
# every 30 s while a job runs, and the liveness probe fails once a beat is overdue.
WORKER_TTL = 60


class PcWorker(Worker):
    """Forks a work horse per job and reconnects mongoengine in it: PyMongo clients must not cross a fork.

    Every RQ heartbeat is mirrored under ``pc:heartbeat:worker:<host>`` for ``pc-app health worker``.
    """

    def heartbeat(self, timeout=None, pipeline=None):
        super().heartbeat(timeout, pipeline=pipeline)
        from .heartbeats import beat

        beat(self.connection, "worker", timeout or self.worker_ttl + 60, state=self.get_state(), pipeline=pipeline)

    def main_work_horse(self, job, queue):
        from .db import connect_database

        if _worker_app is not None:
            connect_database(_worker_app.config)
        return super().main_work_horse(job, queue)


def check_queue_names(names: list[str]) -> list[str]:
    """The queues to listen on, all of them when none is named; an unknown name stops start-up."""
    unknown = [q for q in names if q not in QUEUES]
    if unknown:
        raise SystemExit(f"Unknown queue(s): {', '.join(unknown)}; choose from {', '.join(QUEUES)}.")
    return list(names) or list(QUEUES)


def _check_database() -> None:
    """Fail at start, in words, when MongoDB is unreachable (this also opens the parent's client)."""
    from .db import ping_database

    try:
        ping_database()
    except Exception as exc:
        raise SystemExit(f"MongoDB is unreachable ({type(exc).__name__}); check MONGODB_URL.") from None


def run_worker(queues: list[str], *, with_scheduler: bool = False, burst: bool = False) -> bool:
    """``pc-app worker``: build the app once, then work the queues; returns whether any job ran."""
    global _worker_app
    from . import create_app
    from .redis_client import check_redis, get_redis

    names = check_queue_names(queues)
    # create_app sets up the JSON logs (LOG_LEVEL, secrets redacted); RQ then adds no handler of its own.
    app = _worker_app = create_app()
    with app.app_context():
        _check_database()
        check_redis(get_redis(app))
        worker = PcWorker(names, connection=get_redis(app), worker_ttl=WORKER_TTL)
        return worker.work(with_scheduler=with_scheduler, burst=burst, logging_level=app.config["LOG_LEVEL"])
