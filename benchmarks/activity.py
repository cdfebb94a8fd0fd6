"""Benchmark of the activity plugin: fan-out rate, emit-to-stream latency across processes, streams per process, webhooks/s.

Usage: python benchmarks/activity.py [--events 300] [--samples 40] [--streams 40,200] [--webhooks 300]

Starts its own MongoDB wire server (nx-27017) and Redis through pc_app.devstack and measures:

1. **Fan-out**: ``--events`` events are emitted (stored with their durable delivery), then one
   in-process RQ worker (burst) fans them out: events/s and activities/s (each event concerns
   two partners of two users each; in-app and webhook channels on, no endpoint registered).
2. **Emit-to-stream latency across two processes**: two gunicorn API processes (A, B) and one
   ``pc-app worker`` process; a stream client on B, ``POST /v1/leads`` on A; the time from the
   POST until B's stream frame arrives, ``--samples`` times (p50/p95). Includes the worker picking
   the job up, the fan-out and Redis pub/sub.
3. **Concurrent streams per API process**: for each value of ``--streams`` one gunicorn process
   (1 worker, gthread, threads = streams + 8, ``ACTIVITY_STREAMS_PER_PROCESS`` = streams) gets
   that many open streams; then one more is refused (503), ``/readyz`` is timed while they are held,
   one activity is fanned out to all of them (time until the last stream has it), and the
   process's resident memory is read from /proc.
4. **Webhook deliveries/s**: ``--webhooks`` deliveries to a local receiver answering 200, sent by
   one in-process worker (burst) on the ``webhooks`` queue.

nx-27017 is SQLite behind the wire protocol: read database-bound figures as this machine's
stand-in, not as MongoDB's. Every loop is bounded; only 127.0.0.1 is contacted. Results are
printed, not asserted.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pc_app import create_app, devstack  # noqa: E402
from measuring import percentile, positive  # noqa: E402  (benchmarks/measuring.py)

DB = "pc_bench_activity"
BIN = Path(sys.executable).parent


def service_env(mongo_url: str, redis_url: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MONGODB_", "REDIS_", "PC_", "GUNICORN_"))}
    env.update(MONGODB_URL=mongo_url, MONGODB_DB=DB, REDIS_URL=redis_url, PC_ENV="development",
               PC_PLUGINS="activity", PYTHONPATH=str(ROOT), LOG_LEVEL="WARNING", WEB_CONCURRENCY="1", **extra)
    return env


class Api:
    """One gunicorn API process with the project's gunicorn.conf.py."""

    def __init__(self, env: dict, log_path: Path):
        self.port = devstack.free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        with open(log_path, "ab") as log:
            self.proc = subprocess.Popen([str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--bind",
                                          f"127.0.0.1:{self.port}", "--access-logfile", "/dev/null", "wsgi:app"],
                                         cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited; see {log_path}")
            try:
                with urllib.request.urlopen(self.base + "/readyz", timeout=2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn not ready; see {log_path}") from None
                time.sleep(0.2)

    def worker_rss_mb(self) -> float:
        """Resident memory of the gunicorn worker (the master's child)."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        total = 0
        for pid in children:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return total / 1024

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Stream:
    def __init__(self, base: str, headers: dict, timeout: float = 30):
        host, port = base.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
        self.conn.request("GET", "/v1/activities/stream", headers=headers)
        self.response = self.conn.getresponse()
        self.status = self.response.status

    def next_activity(self, limit: int = 500) -> dict:
        for _ in range(limit):
            line = self.response.readline().decode()
            if not line:
                raise EOFError("stream ended")
            if line.startswith("data: "):
                return json.loads(line[6:])
        raise RuntimeError("no activity within the frame limit")

    def first_line(self) -> str:
        return self.response.readline().decode()

    def close(self):
        self.conn.close()


def post(base: str, path: str, headers: dict, body: dict) -> dict:
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                     headers={**headers, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def seed(app, partners: int = 2) -> list[tuple[str, dict]]:
    """Partners with an owner and a member each; returns (partner id, owner headers)."""
    from pc_app.auth import issue_tokens
    from pc_app.core.models import User
    from pc_app.core.partners.services import create_partner
    from pc_app.db import database, ensure_indexes

    with app.app_context():
        db = database()
        for name in db.list_collection_names():
            db[name].delete_many({})
        ensure_indexes(app.extensions["pc_models"])
        found = []
        for n in range(partners):
            partner = create_partner(f"Bench Partner {n}", status="active")
            owner = User(email=f"owner{n}@bench.example", name=f"Owner {n}", partner=partner.id,
                         is_partner_owner=True).save()
            User(email=f"member{n}@bench.example", name=f"Member {n}", partner=partner.id).save()
            found.append((str(partner.id), {"Authorization": f"Bearer {issue_tokens(owner)['accessToken']}"}))
        return found


def bench_fan_out(app, partners, events: int) -> None:
    from pc_app.db import new_id
    from pc_app.events import emit
    from pc_app.redis_client import get_redis
    from pc_app.testing import run_jobs

    ids = [p for p, _ in partners]
    with app.test_request_context():
        get_redis().flushdb()
        for _ in range(events):
            emit("core.lead_created", partner_ids=ids, actor="system", payload={"leadId": new_id()})
    began = time.perf_counter()
    ran = run_jobs(app, ["default"])
    elapsed = time.perf_counter() - began
    print(f"fan-out: {events} events x {len(ids)} partners in {elapsed:.2f} s by one worker "
          f"({ran} jobs) -> {events / elapsed:.0f} events/s, {events * len(ids) / elapsed:.0f} activities/s")


def bench_latency(mongo_url, redis_url, partners, samples: int, workdir: Path) -> None:
    env = service_env(mongo_url, redis_url, ACTIVITY_STREAM_HEARTBEAT_SECONDS="5")
    api_a, api_b = Api(env, workdir / "api-a.log"), Api(env, workdir / "api-b.log")
    with open(workdir / "worker.log", "ab") as log:
        worker = subprocess.Popen([str(BIN / "pc-app"), "worker", "default", "mail", "webhooks"], cwd=ROOT, env=env,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _, headers = partners[0]
        stream = Stream(api_b.base, headers)
        assert stream.status == 200, stream.status
        stream.first_line()
        latencies = []
        for n in range(samples):
            began = time.perf_counter()
            post(api_a.base, "/v1/leads", headers, {"firstName": f"Bench{n}", "email": f"lat{n}@bench.example"})
            item = stream.next_activity()
            latencies.append((time.perf_counter() - began) * 1000)
            assert item["type"] == "core.lead_created"
        stream.close()
        print(f"emit-to-stream across processes (POST on A -> worker -> Redis -> stream on B), {samples} samples: "
              f"p50 {percentile(latencies, 0.5):.0f} ms, p95 {percentile(latencies, 0.95):.0f} ms, "
              f"max {max(latencies):.0f} ms")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        api_a.stop()
        api_b.stop()


def bench_streams(app, mongo_url, redis_url, partners, counts: list[int], workdir: Path) -> None:
    from pc_app.db import new_id
    from pc_app.events import emit
    from pc_app.testing import run_jobs

    partner_id, headers = partners[0]
    for count in counts:
        env = service_env(mongo_url, redis_url, GUNICORN_THREADS=str(count + 8),
                          ACTIVITY_STREAMS_PER_PROCESS=str(count), ACTIVITY_STREAM_HEARTBEAT_SECONDS="15")
        api = Api(env, workdir / f"api-streams-{count}.log")
        streams: list[Stream] = []
        try:
            idle_mb = api.worker_rss_mb()
            for _ in range(count):
                stream = Stream(api.base, headers)
                if stream.status != 200:
                    break
                stream.first_line()
                streams.append(stream)
            extra = Stream(api.base, headers)
            refused = extra.status
            extra.close()
            began = time.perf_counter()
            with urllib.request.urlopen(api.base + "/readyz", timeout=10) as response:
                ready_ms = (time.perf_counter() - began) * 1000 if response.status == 200 else float("nan")
            with app.test_request_context():
                emit("core.lead_created", partner_ids=[partner_id], actor="system", payload={"leadId": new_id()})
            began = time.perf_counter()
            run_jobs(app, ["default"])
            for stream in streams:
                stream.next_activity()
            spread_ms = (time.perf_counter() - began) * 1000
            held_mb = api.worker_rss_mb()
            print(f"streams per process: {len(streams)}/{count} held (threads {count + 8}); stream {count + 1} -> "
                  f"{refused}; /readyz meanwhile {ready_ms:.0f} ms; one activity reached all {len(streams)} in "
                  f"{spread_ms:.0f} ms; worker RSS {idle_mb:.0f} MB idle, {held_mb:.0f} MB holding them "
                  f"({(held_mb - idle_mb) * 1024 / max(len(streams), 1):.0f} KB per stream)")
        finally:
            for stream in streams:
                stream.close()
            api.stop()


def bench_webhooks(app, partners, deliveries: int) -> None:
    from pc_app.db import new_id
    from pc_app.events import Event
    from pc_app.testing import run_jobs
    from plugins.activity.services import webhook_delivery, webhook_endpoints

    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append(1)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    partner_id, _ = partners[1]
    try:
        with app.test_request_context():
            webhook_endpoints.create_endpoint(partner_id, f"http://127.0.0.1:{server.server_address[1]}/hook", ["*"],
                                              "bench", "system")
            for _ in range(deliveries):
                event = Event("core.lead_created", (partner_id,), "system", {"leadId": new_id()})
                webhook_delivery.queue_event(event, partner_id, event.payload)
        began = time.perf_counter()
        run_jobs(app, ["webhooks"])
        elapsed = time.perf_counter() - began
        print(f"webhooks: {len(received)}/{deliveries} signed deliveries to a local receiver in {elapsed:.2f} s by one "
              f"worker -> {len(received) / elapsed:.0f} deliveries/s")
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", type=positive(int), default=300)
    parser.add_argument("--samples", type=positive(int), default=40)
    parser.add_argument("--streams", default="40,200")
    parser.add_argument("--webhooks", type=positive(int), default=300)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="pc-bench-activity-"))
    mongo, redis_service = devstack.start_mongo(workdir), devstack.start_redis(workdir)
    try:
        app = create_app({"PC_ENV": "development", "PC_PLUGINS": ["activity"], "MONGODB_URL": mongo.url,
                          "MONGODB_DB": DB, "REDIS_URL": redis_service.url})
        partners = seed(app)
        print(f"activity benchmark on {os.cpu_count()} cores (nx-27017 + Redis on 127.0.0.1); logs in {workdir}")
        bench_fan_out(app, partners, args.events)
        bench_latency(mongo.url, redis_service.url, partners, args.samples, workdir)
        bench_streams(app, mongo.url, redis_service.url, partners,
                      [int(n) for n in args.streams.split(",") if n.strip()], workdir)
        bench_webhooks(app, partners, args.webhooks)
    finally:
        mongo.stop()
        redis_service.stop()


if __name__ == "__main__":
    main()
