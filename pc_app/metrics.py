"""Prometheus metrics: HTTP requests per route, RQ queues, calls to HubSpot and Stripe, webhook deliveries.

Two kinds of series:

- **per process** (``pc_http_*``): counted in the API process that answered. Under gunicorn they
  are shared between its worker processes through ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's
  multiprocess mode; ``gunicorn.conf.py`` sets it up), so one scrape of a pod sees the whole pod.
- **cluster-wide** (``pc_rq_*``, ``pc_upstream_calls_total``, ``pc_webhook_deliveries_total``): read
  from Redis at scrape time. Upstream calls and webhook deliveries happen in API and worker
  processes alike (a forked RQ work horse cannot keep an in-memory counter), so each one is an
  ``HINCRBY`` in Redis. Every API pod reports the same values: aggregate them with ``max``.
"""
from __future__ import annotations

import logging
import os
import re
import time

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

log = logging.getLogger("pc_app.metrics")

UPSTREAM_KEY = "pc:metrics:upstream_calls"
WEBHOOK_KEY = "pc:metrics:webhook_deliveries"
_LABEL = re.compile(r"[a-z][a-z0-9_]{0,39}")
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

HTTP_REQUESTS = Counter("pc_http_requests", "HTTP requests answered, by route (the URL rule), method and status",
                        ["route", "method", "status"])
HTTP_DURATION = Histogram("pc_http_request_duration_seconds", "Time to produce the response, by route and method",
                          ["route", "method"],
                          buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))


def _check_label(kind: str, value: str) -> str:
    # Labels are fixed words chosen in code; anything else would let data create series without bound.
    if not isinstance(value, str) or not _LABEL.fullmatch(value):
        raise ValueError(f"{kind} must be a short lower-case word like 'hubspot', got {value!r}.")
    return value


def _increment(key: str, service: str, outcome: str, amount: int = 1) -> None:
    from .redis_client import get_redis

    try:
        get_redis().hincrby(key, f"{service}|{outcome}", amount)
    except Exception as exc:  # metrics must never break the call they count
        log.warning("metric not counted (%s): %s %s", type(exc).__name__, service, outcome)


def count_upstream_call(service: str, outcome: str) -> None:
    """Count one call to a third-party API (``pc_upstream_calls_total{service, outcome}``).

    :param service: ``hubspot``, ``stripe``, ``mailgun``...
    :param outcome: ``ok`` (2xx/3xx), ``client_error`` (4xx), ``server_error`` (5xx) or ``unreachable``
        (no answer: connection refused, timeout).
    """
    _increment(UPSTREAM_KEY, _check_label("service", service), _check_label("outcome", outcome))


def upstream_outcome(status: int | None) -> str:
    """The ``outcome`` label for an HTTP status (``None``: no answer at all)."""
    if status is None:
        return "unreachable"
    if status >= 500:
        return "server_error"
    if status >= 400:
        return "client_error"
    return "ok"


def count_webhook_delivery(webhook: str, outcome: str, amount: int = 1) -> None:
    """Count webhook deliveries, in or out (``pc_webhook_deliveries_total{webhook, outcome}``).

    :param webhook: who sent or receives it: ``hubspot``, ``stripe``, ``partner``...
    :param outcome: ``accepted``, ``rejected`` (bad signature, refused), ``delivered``, ``failed``...
    :param amount: how many at once (a HubSpot delivery carries up to 100 events: one increment).
    """
    _increment(WEBHOOK_KEY, _check_label("webhook", webhook), _check_label("outcome", outcome), amount)


def install_request_metrics(app) -> None:
    """Count every response and time it, labelled by the URL rule (never the raw path, which holds ids)."""
    from flask import g, request

    @app.before_request
    def _start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count_response(response):
        started = g.pop("metrics_started", None)
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        method = request.method if request.method in _METHODS else "OTHER"
        HTTP_REQUESTS.labels(route, method, str(response.status_code)).inc()
        if started is not None:
            HTTP_DURATION.labels(route, method).observe(time.perf_counter() - started)
        return response


class ClusterCollector:
    """Reads queue depths, failed jobs, workers and the upstream/webhook counters from Redis at scrape time."""

    def __init__(self, redis):
        self.redis = redis

    def collect(self):
        from rq import Queue, Worker
        from rq.registry import DeferredJobRegistry, FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

        from .jobs import QUEUES

        up = GaugeMetricFamily("pc_redis_up", "1 when Redis answered this scrape")
        try:
            keys = []
            with self.redis.pipeline(transaction=False) as pipe:
                for name in QUEUES:
                    queue = Queue(name, connection=self.redis)
                    pipe.llen(queue.key)
                    for registry in (StartedJobRegistry, ScheduledJobRegistry, DeferredJobRegistry,
                                     FailedJobRegistry):
                        pipe.zcard(registry(queue=queue).key)
                    keys.append(name)
                pipe.scard(Worker.redis_workers_keys)
                pipe.hgetall(UPSTREAM_KEY)
                pipe.hgetall(WEBHOOK_KEY)
                answers = pipe.execute()
        except Exception as exc:
            log.warning("metrics: Redis unreachable at scrape (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        depth = GaugeMetricFamily("pc_rq_jobs", "Jobs per RQ queue and state: queued, started, scheduled "
                                  "(waiting for a time or a retry), deferred, failed", labels=["queue", "state"])
        failed = GaugeMetricFamily("pc_rq_failed_jobs", "Jobs in the failed registry of each queue (kept 7 days)",
                                   labels=["queue"])
        for index, name in enumerate(keys):
            queued, started, scheduled, deferred, failures = answers[index * 5:index * 5 + 5]
            for state, value in (("queued", queued), ("started", started), ("scheduled", scheduled),
                                 ("deferred", deferred), ("failed", failures)):
                depth.add_metric([name, state], value)
            failed.add_metric([name], failures)
        yield depth
        yield failed
        workers = GaugeMetricFamily("pc_rq_workers", "RQ workers registered in Redis (alive within their TTL)")
        workers.add_metric([], answers[len(keys) * 5])
        yield workers
        yield self._counters("pc_upstream_calls", "Calls to third-party APIs by service and outcome",
                             ["service", "outcome"], answers[-2])
        yield self._counters("pc_webhook_deliveries", "Webhook deliveries by webhook and outcome",
                             ["webhook", "outcome"], answers[-1])

    @staticmethod
    def _counters(name, documentation, labels, stored: dict):
        family = CounterMetricFamily(name, documentation, labels=labels)
        for field, value in sorted(stored.items()):
            field = field.decode() if isinstance(field, bytes) else field
            family.add_metric(field.split("|", 1), int(value))
        return family


def render_metrics(redis) -> tuple[bytes, str]:
    """The exposition text of this process (or pod, in multiprocess mode) and of the cluster-wide series."""
    from prometheus_client import CONTENT_TYPE_LATEST

    multiproc_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if multiproc_dir:
        from prometheus_client.multiprocess import MultiProcessCollector

        process_registry = CollectorRegistry()
        MultiProcessCollector(process_registry, path=multiproc_dir)
    else:
        process_registry = REGISTRY
    cluster_registry = CollectorRegistry()
    cluster_registry.register(ClusterCollector(redis))
    return generate_latest(process_registry) + generate_latest(cluster_registry), CONTENT_TYPE_LATEST
