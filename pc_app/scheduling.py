"""Periodic jobs: reconcile the plugins' JobSpecs into rq-scheduler and run it."""
from __future__ import annotations


def run_scheduler(interval: int = 5) -> None:
    from rq_scheduler import Scheduler

    from . import create_app
    from .redis_client import get_redis

    app = create_app()
    with app.app_context():
        Scheduler(connection=get_redis(app), interval=interval).run()
