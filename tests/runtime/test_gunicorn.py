"""gunicorn serves the app with the project's config and logs every request as JSON with its id."""
import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from pc_app.devstack import free_port

from .processes import REPO, service_env

GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers)


def test_gunicorn_serves_readyz_and_logs_json_access_lines_with_the_request_id(pc_services, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "gunicorn.log"
    env = service_env(pc_services, WEB_CONCURRENCY="1", GUNICORN_THREADS="2")
    with open(log, "wb") as out:
        proc = subprocess.Popen([GUNICORN, "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                status, headers = get(f"{base}/readyz", {"X-Request-ID": "probe-req-0001"})
                break
            except (urllib.error.URLError, OSError):
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.2)
        assert status == 200 and headers["X-Request-ID"] == "probe-req-0001"
        missing_status, missing_headers = get(f"{base}/v1/no-such-route?token=secret-in-query")
        assert missing_status == 404
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)

    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    ready = [line for line in lines if line["path"] == "/readyz"]
    assert ready and ready[-1]["requestId"] == "probe-req-0001" and ready[-1]["status"] == 200
    assert ready[-1]["method"] == "GET" and ready[-1]["durationMs"] >= 0
    [missing] = [line for line in lines if line["path"] == "/v1/no-such-route"]
    assert missing["status"] == 404 and missing["requestId"] == missing_headers["X-Request-ID"]
    assert "secret-in-query" not in log.read_text()
    assert proc.returncode == 0  # graceful stop on SIGTERM
