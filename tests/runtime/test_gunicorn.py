"""gunicorn serves the app with the project's config: JSON logs only, metrics shared by its workers, clean refusals."""
import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pc_app.devstack import free_port
from pc_app.testing import sample_value

from .processes import REPO, service_env

GUNICORN = str(Path(sys.executable).parent / "gunicorn")
METRICS_TOKEN = "metrics-token-for-the-gunicorn-test-0001"


def get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


def start_gunicorn(env, port, log):
    with open(log, "wb") as out:
        return subprocess.Popen([GUNICORN, "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)


def default_metrics_dir(proc) -> Path:
    """Where gunicorn.conf.py puts the workers' metrics when PROMETHEUS_MULTIPROC_DIR is not set."""
    import tempfile

    root = "/dev/shm" if Path("/dev/shm").is_dir() else tempfile.gettempdir()
    return Path(root) / f"pc-metrics-{proc.pid}"


def wait_until_serving(proc, base, log):
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            return get(f"{base}/readyz", {"X-Request-ID": "probe-req-0001"})
        except (urllib.error.URLError, OSError):
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)


def test_gunicorn_logs_json_only_and_serves_metrics_summed_over_its_workers(pc_services, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "gunicorn.log"
    metrics_dir = tmp_path / "metrics"
    # Workers are recycled every ~10 requests, so the 40 below are answered by several processes,
    # most of them gone by the time /metrics is read.
    # LOG_LEVEL=DEBUG: the app says at DEBUG in which process it was built (below).
    env = service_env(pc_services, WEB_CONCURRENCY="2", GUNICORN_THREADS="2", GUNICORN_MAX_REQUESTS="10",
                      METRICS_TOKEN=METRICS_TOKEN, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir), LOG_LEVEL="DEBUG")
    proc = start_gunicorn(env, port, log)
    try:
        status, headers, _ = wait_until_serving(proc, base, log)
        assert status == 200 and headers["X-Request-ID"] == "probe-req-0001"
        missing_status, missing_headers, _ = get(f"{base}/v1/no-such-route?token=secret-in-query")
        assert missing_status == 404
        with ThreadPoolExecutor(max_workers=4) as pool:
            statuses = list(pool.map(lambda _: get(f"{base}/healthz")[0], range(40)))
        assert statuses == [200] * 40

        assert get(f"{base}/metrics")[0] == 404  # never public
        assert get(f"{base}/metrics", {"Authorization": "Bearer wrong-token"})[0] == 404
        status, headers, text = get(f"{base}/metrics", {"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert status == 200 and headers["Content-Type"].startswith("text/plain")
        assert sample_value(text, "pc_http_requests_total", route="/healthz", method="GET", status="200") == 40
        assert sample_value(text, "pc_http_request_duration_seconds_count", route="/healthz", method="GET") == 40
        assert sample_value(text, "pc_http_requests_total", route="unmatched", method="GET", status="404") == 1
        assert sample_value(text, "pc_redis_up") == 1
        assert len(list(metrics_dir.glob("counter_*.db"))) >= 3  # one file per worker process that counted
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)

    output = log.read_text()
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]  # every line is JSON
    assert {"time", "level", "logger", "message"} <= set(next(line for line in lines if line["logger"] ==
                                                           "gunicorn.error"))
    access = [line for line in lines if line.get("type") == "access"]
    ready = [line for line in access if line["path"] == "/readyz"]
    assert ready and ready[-1]["requestId"] == "probe-req-0001" and ready[-1]["status"] == 200
    assert ready[-1]["method"] == "GET" and ready[-1]["durationMs"] >= 0
    [missing] = [line for line in access if line["path"] == "/v1/no-such-route"]
    assert missing["status"] == 404 and missing["requestId"] == missing_headers["X-Request-ID"]
    assert "secret-in-query" not in output and METRICS_TOKEN not in output
    assert proc.returncode == 0  # graceful stop on SIGTERM
    # The app is built once, in the master, and every worker (recycled ones too) is forked with it.
    built = [line for line in lines if line.get("message", "").startswith("app built with plugins")]
    booted = [line for line in lines if line.get("message", "").startswith("Booting worker")]
    assert len(built) == 1 and len(booted) >= 3, (len(built), len(booted))
    # ... with the app frozen out of garbage collection (gc.freeze): a full collection skips it.
    frozen = [int(line["message"].split(" with ")[1].split()[0]) for line in lines
              if " objects frozen" in line.get("message", "")]
    assert len(frozen) == len(booted) and min(frozen) > 100_000, frozen


def test_gunicorn_refuses_a_production_start_without_the_hubspot_credentials_in_one_sentence(pc_services,
                                                                                          tmp_path):
    strong = "k9Qz2vLx7Rm4Tp8Wn3Yb6Hc1Jd5Fg0Se"  # production refuses one repeated character
    env = service_env(pc_services, PC_ENV="production", PC_PLUGINS="hubspot", JWT_SECRET=strong,
                      FRONTEND_URL="https://app.example.test", CORS_ORIGINS="https://app.example.test",
                      CRON_SECRET=strong + "c", ENCRYPTION_KEY="ab" * 32, MAIL_BACKEND="mailgun",
                      MAILGUN_API_KEY="key-" + strong, MAILGUN_DOMAIN="mg.example.test",
                      HUBSPOT_CLIENT_ID="5f0c2a8e-3b7d-4c1e-9a6f-2d8b4e7c1a93", HUBSPOT_CLIENT_SECRET="",
                      HUBSPOT_APP_SECRET="e2b8d4a6-9c1f-4e3b-a7d5-6f0c8b2e4a17")
    log = tmp_path / "gunicorn.log"
    proc = start_gunicorn(env, free_port(), log)
    assert proc.wait(timeout=60) != 0
    output = log.read_text()
    assert "Traceback" not in output
    assert "HUBSPOT_CLIENT_SECRET is required in production" in output.strip().splitlines()[-1]
    assert not default_metrics_dir(proc).exists()  # a refused start leaves no metrics directory behind


def test_gunicorn_refuses_an_unreadable_redis_url_in_one_line_without_its_password(pc_services, tmp_path):
    env = service_env(pc_services, REDIS_URL="redis+tls://:Hunter2SuperSecretPw@redis.example:6380/0")
    log = tmp_path / "gunicorn.log"
    proc = start_gunicorn(env, free_port(), log)
    assert proc.wait(timeout=60) != 0
    output = log.read_text()
    assert "Traceback" not in output and "Hunter2" not in output
    assert output.strip().splitlines()[-1].startswith("gunicorn: Partner Connector cannot start: REDIS_URL must be a "
                                                      "redis://, rediss:// or unix:// URL")
    assert not default_metrics_dir(proc).exists()


def test_gunicorn_removes_its_metrics_directory_when_it_stops(pc_services, tmp_path):
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = service_env(pc_services, WEB_CONCURRENCY="1", GUNICORN_THREADS="2")
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    proc = start_gunicorn(env, port, log)
    try:
        wait_until_serving(proc, f"http://127.0.0.1:{port}", log)
        assert default_metrics_dir(proc).is_dir()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)

    assert proc.returncode == 0
    assert not default_metrics_dir(proc).exists()
