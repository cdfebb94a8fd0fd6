"""gunicorn settings, all from the environment so the same image runs anywhere.

Access log lines are JSON objects carrying the request id the app puts in ``X-Request-ID``,
so one id ties a client's report, the access log and the app's error log together. gunicorn's
own messages are JSON lines too (``pc_app.structured_logs``), secrets redacted like the app's.
"""
import datetime as dt
import gc
import json
import os
import shutil
import sys
import tempfile

from gunicorn.glogging import Logger

from pc_app.redaction import redact
from pc_app.structured_logs import JsonFormatter, RedactingFilter

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
# gunicorn reads X-Forwarded-Proto from the same proxies the app trusts (TRUSTED_PROXY_ADDRESSES),
# never from any client.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or os.environ.get("TRUSTED_PROXY_ADDRESSES") \
    or "127.0.0.1,::1"
# Nothing in a container talks to gunicorn's control socket, and the root filesystem is read-only.
control_socket_disable = True
# Heartbeat files on tmpfs: a read-only root filesystem has no writable /tmp by default.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None


class JsonAccessLogger(Logger):
    """One JSON object per request; the query string is left out because it may carry tokens.

    gunicorn's error log (boot, worker restarts, timeouts) gets the JSON format of every other process.
    """

    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())
            handler.addFilter(RedactingFilter())

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        headers = dict((k.lower(), v) for k, v in resp.headers)
        line = {
            "time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": "info",
            "logger": "gunicorn.access",
            "type": "access",
            "requestId": headers.get("x-request-id", ""),
            "method": environ.get("REQUEST_METHOD"),
            "path": redact(environ.get("PATH_INFO") or ""),
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


# --- start-up checks and metrics (pc_app.metrics) ------------------------------------------------

def _check_settings():
    """Load the settings the enabled plugins declare, as building the app would (raises on a wrong one)."""
    from pc_app.config import load_config
    from pc_app.plugins import build_plugin_manager, plugin_settings

    enabled = [p.strip() for p in os.environ.get("PC_PLUGINS", "").split(",") if p.strip()]
    pm, infos = build_plugin_manager(enabled)
    load_config({}, plugin_settings(pm, infos))


def _refusing_to_start(step) -> None:
    """Run ``step``; a wrong setting or plugin stops gunicorn in one sentence, before any worker boots."""
    from pc_app.config import ConfigError
    from pc_app.plugins import PluginError

    try:
        step()
    except BaseException as exc:
        _remove_metrics_dir()  # the master stops here, before gunicorn could ever call on_exit
        if isinstance(exc, (ConfigError, PluginError)):
            sys.exit(f"gunicorn: Partner Connector cannot start: {exc}")
        raise


def _own_metrics_dir_name() -> str:
    return f"pc-metrics-{os.getpid()}"  # the master's pid: a worker (another pid) never takes it for its own


def _fresh_metrics_dir() -> None:
    """Workers share their metrics through files (prometheus_client's multiprocess mode); start empty."""
    default_root = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.path.join(default_root, _own_metrics_dir_name())
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path, exist_ok=True)
    # Set before the app is built (in the master or the workers), so every metric it creates is file-backed.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path


def _remove_metrics_dir() -> None:
    """Remove the directory ``_fresh_metrics_dir`` made for this master (one named by PROMETHEUS_MULTIPROC_DIR
    is the operator's and stays): on tmpfs, each one left behind kept its files in memory until a reboot."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or ""
    if os.path.basename(path) == _own_metrics_dir_name():
        shutil.rmtree(path, ignore_errors=True)


def on_exit(server):
    _remove_metrics_dir()


def on_starting(server):
    """Build the app once, in the master, so every worker forks with it built (what ``preload_app``
    does, but after the metrics directory, which must come first); building it checks its settings.

    Why: gunicorn recycles a worker after ``max_requests``. Built in each worker, the app cost
    1.5 s of CPU per recycle (imports, plugins, schemas, the OpenAPI document): 0.8 ms a request
    at 2,000 requests per worker, and the worker's kept-alive connections waited meanwhile
    (50 concurrent buyers: 231-340 req/s recycling, 442-463 not). Forked, a worker starts in
    milliseconds. Building the app touches neither MongoDB nor Redis: their connections open on
    first use, in the worker. ``GUNICORN_BUILD_APP_IN_MASTER=0`` builds it in each worker instead,
    and only its settings are checked here.
    """
    _fresh_metrics_dir()
    if os.environ.get("GUNICORN_BUILD_APP_IN_MASTER", "1") == "0":
        _refusing_to_start(_check_settings)
    else:
        _refusing_to_start(server.app.wsgi)  # cached on the application object the workers are forked with
        _freeze_what_the_workers_inherit()


def _freeze_what_the_workers_inherit() -> None:
    """Leave the built app out of every later garbage collection (``gc.freeze``), in the master and so
    in every worker forked from it.

    Why: a full collection walks every tracked object, and the built app (modules, schemas, the
    OpenAPI document) is most of them: 78 ms per full collection, during which no thread of the
    worker runs; frozen, the same collection takes well under a millisecond. The app's objects
    live as long as the process anyway. Frozen objects are also never written by the collector,
    so the workers keep sharing their pages with the master instead of copying them.
    ``GUNICORN_GC_FREEZE=0`` leaves them in.
    """
    if os.environ.get("GUNICORN_GC_FREEZE", "1") != "0":
        gc.collect()  # what is garbage already is freed, not frozen
        gc.freeze()


def post_fork(server, worker):
    server.log.debug("worker %s forked with %s objects frozen", worker.pid, gc.get_freeze_count())


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
