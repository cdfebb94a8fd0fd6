"""gunicorn settings, all from the environment so the same image runs anywhere.

Access log lines are JSON objects carrying the request id the app puts in ``X-Request-ID``,
so one id ties a client's report, the access log and the app's error log together.
"""
import datetime as dt
import json
import os

from gunicorn.glogging import Logger

bind = f"0.0.0.0:{os.environ.get('PORT', '3000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads, not gevent: each live activity stream (SSE) holds one thread that sleeps on its inbox,
# while one subscriber thread per process listens to Redis. The activity plugin admits at most
# ACTIVITY_STREAMS_PER_PROCESS (40) streams per process and answers 503 beyond, so with 48 threads
# at least 8 always serve ordinary requests: a stream never holds the worker hostage. No monkey
# patching, so pymongo, redis-py and argon2 behave exactly as in the tests (docs/operations.md).
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "48"))
# gthread's arbiter heartbeat comes from the worker's main loop, so a long stream is never
# mistaken for a hung worker; this bounds ordinary requests only.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Kubernetes sends SIGTERM, then SIGKILL after terminationGracePeriodSeconds (keep it above this).
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "25"))
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The ingress is the only client; ProxyFix in the app trusts exactly one hop.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
# Nothing in a container talks to gunicorn's control socket, and the root filesystem is read-only.
control_socket_disable = True
# Heartbeat files on tmpfs: a read-only root filesystem has no writable /tmp by default.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None


class JsonAccessLogger(Logger):
    """One JSON object per request; the query string is left out because it may carry tokens."""

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        headers = dict((k.lower(), v) for k, v in resp.headers)
        line = {
            "time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"),
            "type": "access",
            "requestId": headers.get("x-request-id", ""),
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "status": int(status),
            "bytes": getattr(resp, "sent", None),
            "durationMs": round(request_time.total_seconds() * 1000, 1),
            "remoteAddr": environ.get("REMOTE_ADDR"),
            "userAgent": environ.get("HTTP_USER_AGENT", ""),
            "pid": os.getpid(),
        }
        try:
            self.access_log.info(json.dumps(line))
        except Exception:
            self.exception("could not write the access log line")


logger_class = JsonAccessLogger
