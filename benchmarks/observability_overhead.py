"""What logs and metrics cost: a JSON log line with redaction, the per-request metric hooks, one /metrics scrape.

Usage: python benchmarks/observability_overhead.py [--lines 20000] [--requests 2000] [--scrapes 200]

Starts its own MongoDB wire server (nx-27017) and Redis through pc_app.devstack and measures in
process: formatting one log record into a redacted JSON line; GET /healthz through Flask's test
client (the metric hooks run on every request) compared with the same view called directly; and
GET /metrics (HTTP series plus queue depths and counters read from Redis in one pipeline). Results
are printed, not asserted.
"""
from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pc_app import create_app, devstack  # noqa: E402
from measuring import positive  # noqa: E402  (benchmarks/measuring.py)
from pc_app.metrics import HTTP_DURATION, HTTP_REQUESTS  # noqa: E402
from pc_app.structured_logs import JsonFormatter, RedactingFilter  # noqa: E402

TOKEN = "benchmark-metrics-token-0123456789"


def per_call_us(func, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        func()
    return (time.perf_counter() - started) / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=positive(int), default=20000)
    parser.add_argument("--requests", type=positive(int), default=2000)
    parser.add_argument("--scrapes", type=positive(int), default=200)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="pc-bench-observability-"))
    mongo, redis = devstack.start_mongo(workdir), devstack.start_redis(workdir)
    try:
        app = create_app({"MONGODB_URL": mongo.url + "bench", "REDIS_URL": redis.url, "METRICS_TOKEN": TOKEN,
                          "LOG_LEVEL": "WARNING"})
        record = logging.LogRecord("plugins.hubspot", logging.WARNING, __file__, 1,
                                   "hubspot connection %s marked refresh_failed: %s", ("65f0c0ffee0123456789abcd",
                                   "HubSpot no longer accepts the refresh token (invalid_grant)"), None)
        formatter, redacting = JsonFormatter(), RedactingFilter()

        def one_line():
            copy = logging.makeLogRecord(record.__dict__)
            redacting.filter(copy)
            formatter.format(copy)

        line_us = per_call_us(one_line, args.lines)
        print(f"log line (redacted JSON):         {line_us:8.1f} µs per line ({len(formatter.format(record))} bytes)")

        def count_one_response():
            HTTP_REQUESTS.labels("/bench", "GET", "200").inc()
            HTTP_DURATION.labels("/bench", "GET").observe(0.01)

        print(f"metrics of one response:          {per_call_us(count_one_response, args.requests * 10):8.1f} µs "
              "(counter + histogram, in-process mode)")

        client = app.test_client()
        view = app.view_functions["health.healthz"]
        with app.test_request_context("/healthz"):
            direct_us = per_call_us(view, args.requests)
        for _ in range(50):
            client.get("/healthz")
        samples = []
        for _ in range(args.requests):
            started = time.perf_counter()
            client.get("/healthz")
            samples.append((time.perf_counter() - started) * 1e6)
        print(f"GET /healthz through Flask:       {statistics.median(samples):8.1f} µs p50 "
              f"(the view alone: {direct_us:.1f} µs; request ids, CORS, metrics hooks and routing make the rest)")

        headers = {"Authorization": f"Bearer {TOKEN}"}
        scrapes = []
        for _ in range(args.scrapes):
            started = time.perf_counter()
            response = client.get("/metrics", headers=headers)
            scrapes.append((time.perf_counter() - started) * 1e3)
        assert response.status_code == 200
        print(f"GET /metrics:                     {statistics.median(scrapes):8.2f} ms p50, "
              f"{sorted(scrapes)[int(len(scrapes) * 0.95)]:.2f} ms p95, {len(response.data)} bytes, "
              "1 Redis round trip")
    finally:
        mongo.stop()
        redis.stop()


if __name__ == "__main__":
    main()
