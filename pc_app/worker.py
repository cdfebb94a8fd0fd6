"""The RQ worker process: one app per process, a fresh MongoDB connection in every work horse."""
from __future__ import annotations

import logging

from rq import Worker

from .jobs import QUEUES

log = logging.getLogger("pc_app.worker")


class PcWorker(Worker):
    """Reconnects mongoengine after fork: PyMongo clients must not cross a fork."""

    def fork_work_horse(self, job, queue):
        return super().fork_work_horse(job, queue)

    def main_work_horse(self, job, queue):
        from . import jobs
        from .db import connect_database

        if jobs._worker_app is not None:
            connect_database(jobs._worker_app.config)
        return super().main_work_horse(job, queue)


def run_worker(queues: list[str], *, with_scheduler: bool = False, burst: bool = False) -> None:
    from . import create_app, jobs
    from .redis_client import get_redis

    app = create_app()
    jobs._worker_app = app
    names = queues or list(QUEUES)
    unknown = [q for q in names if q not in QUEUES]
    if unknown:
        raise SystemExit(f"Unknown queue(s): {', '.join(unknown)}; choose from {', '.join(QUEUES)}.")
    logging.basicConfig(level=app.config["LOG_LEVEL"])
    with app.app_context():
        connection = get_redis(app)
        worker = PcWorker(names, connection=connection)
        worker.work(with_scheduler=with_scheduler, burst=burst, logging_level=app.config["LOG_LEVEL"])
