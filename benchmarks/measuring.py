"""What the benchmarks share: the embedded services they run against and the percentiles they print."""
from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path

from pc_app import devstack


@contextmanager
def local_services(name: str):
    """``(mongo, redis, workdir)``: a MongoDB wire server (nx-27017) and a Redis of the benchmark's own, on
    127.0.0.1, in a fresh directory (for the run's logs too); both stopped when the block ends, however it ends."""
    workdir = Path(tempfile.mkdtemp(prefix=f"pc-bench-{name}-"))
    mongo = devstack.start_mongo(workdir)
    try:
        redis = devstack.start_redis(workdir)
        try:
            yield mongo, redis, workdir
        finally:
            redis.stop()
    finally:
        mongo.stop()


def percentile(values: list[float], q: float) -> float:
    """The value at quantile ``q`` of ``values`` (nearest rank; ``q=0.5`` is the median)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


if __name__ == "__main__":
    pass  # a module of the others (``make bench`` runs every file here)
