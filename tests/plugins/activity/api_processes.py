"""Real API processes for the cross-process stream test and the benchmark: gunicorn with the project's config."""
from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def free_port() -> int:
    from pc_app.devstack import free_port as _free_port
    return _free_port()


class ApiProcess:
    """``gunicorn -c gunicorn.conf.py wsgi:app`` on a free port, pointed at the given MongoDB and Redis."""

    def __init__(self, mongodb_url: str, redis_url: str, db: str, log_path: Path, **env):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("MONGODB_", "REDIS_", "PC_"))}
        environ.update(MONGODB_URL=mongodb_url, MONGODB_DB=db, REDIS_URL=redis_url, PC_ENV="development",
                       PYTHONPATH=str(REPO), LOG_LEVEL="WARNING", WEB_CONCURRENCY="1", **env)
        with open(log_path, "wb") as out:
            self.proc = subprocess.Popen([GUNICORN, "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}",
                                          "wsgi:app"], cwd=REPO, env=environ, stdout=out, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            assert self.proc.poll() is None, self.log_path.read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"{self.base}/readyz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            assert time.monotonic() < deadline, self.log_path.read_text()[-3000:]
            time.sleep(0.2)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class SseClient:
    """A raw HTTP stream reader: ``next_frame()`` returns the next complete SSE frame's text."""

    def __init__(self, base: str, path: str, headers: dict | None = None, timeout_s: float = 10):
        host, port = base.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=timeout_s)
        self.conn.request("GET", path, headers=headers or {})
        self.response = self.conn.getresponse()
        self.status = self.response.status

    def next_frame(self) -> str:
        lines = []
        while True:
            line = self.response.readline().decode()
            if not line:
                raise EOFError("the stream ended")
            if line in ("\n", "\r\n"):
                if lines:
                    return "".join(lines)
                continue
            lines.append(line)

    def next_activity(self, max_frames: int = 200) -> dict:
        import json

        for _ in range(max_frames):
            frame = self.next_frame()
            if frame.startswith("id:") or "event: activity" in frame:
                fields = dict(line.split(": ", 1) for line in frame.strip().split("\n") if ": " in line)
                return {"id": fields["id"], "data": json.loads(fields["data"])}
        raise AssertionError("no activity frame arrived")

    def close(self) -> None:
        self.conn.close()
