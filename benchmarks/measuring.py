"""What the benchmarks share: the embedded services they run against, the percentiles they print and
their command-line checks."""
from __future__ import annotations

import argparse
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


def positive(kind=int):
    """An argparse ``type``: a number of ``kind`` above zero (a count or a duration: zero would measure
    nothing, and a ratio of nothing is a division by zero, not a figure). A whole number may be written
    ``10,000`` or ``10_000``."""
    def parse(text: str):
        try:
            value = kind(text.replace(",", "") if kind is int else text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {'whole ' if kind is int else ''}number") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{text} must be above 0")
        return value
    parse.__name__ = f"positive {kind.__name__}"
    return parse


if __name__ == "__main__":
    pass  # a module of the others (``make bench`` runs every file here)
