"""Job functions the runtime tests queue: each leaves a trace a test can read back."""
from flask import current_app

from pc_app.redis_client import get_redis

TRACE_KEY = "test:job-trace"


def record_run(label: str) -> str:
    """Append ``label`` to a Redis list, proving the job ran inside an app context."""
    get_redis(current_app).rpush(TRACE_KEY, label)
    return label


def fail_until_attempt(label: str, attempts_needed: int) -> str:
    """Raise until it has been called ``attempts_needed`` times for ``label``."""
    calls = get_redis(current_app).incr(f"test:attempts:{label}")
    if calls < attempts_needed:
        raise RuntimeError(f"attempt {calls} of {label} fails on purpose")
    return record_run(label)


def runs(app) -> list[str]:
    with app.app_context():
        return [v.decode() for v in get_redis(app).lrange(TRACE_KEY, 0, -1)]


def record_in_mongo(label: str) -> str:
    """Insert a document naming the process that ran the job."""
    import os

    from pc_app.db import database

    database()["runtime_job_trace"].insert_one({"label": label, "pid": os.getpid()})
    return label


def log_a_line(label: str) -> str:
    """Log one line, with a secret in it (the worker's log must carry the job id, not the secret)."""
    import logging

    logging.getLogger("tests.runtime.jobs").info("job says %s with Authorization: Bearer sk_live_abcdef123456", label)
    return label
