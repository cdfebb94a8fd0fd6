"""Benchmark of the lead list on gunicorn: requests/s and p50/p95 of GET /v1/leads against /healthz.

Usage: python benchmarks/leads_list.py [--leads 10000] [--seconds 20] [--threads 2] [--workers 2]
                                       [--rounds 3] [--server-threads N]  (default: the deploy's threads, 48)

Starts its own MongoDB wire server (nx-27017) and Redis through pc_app.devstack, seeds one
partner with --leads leads (insert_many), runs the app under gunicorn (a subprocess on
127.0.0.1 and a free port) and measures, in one run, GET /v1/leads?page=2&perPage=50 (the
same page again, answered from its kept JSON: pc_app.pages.page_answer), GET /v1/auth/me (the
floor of any signed-in route: the token, the session check, the user and the partner) and
GET /healthz; then, on a second gunicorn with LIST_PAGE_CACHE_SECONDS=0, the lead list read
and dumped on every request. Each endpoint gets a quarter of --seconds and at most 2,000
requests from --threads clients, the three kept ones that many times each: they take turns in
--rounds rounds (so a drift of this machine falls on all of them alike), and the ratio to
/healthz is printed for each round too. Database round trips per request are counted in process
with a pymongo CommandListener (pc_app.testing.CommandCounter) on the same database.
nx-27017 is SQLite behind the wire protocol: read the figures as this machine's stand-in, not
as MongoDB's. Results are printed, not asserted.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import runpy
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from pc_app import create_app, devstack  # noqa: E402
from pc_app.core import vocabulary as v  # noqa: E402
from pc_app.db import new_id  # noqa: E402
from pc_app.testing import CommandCounter  # noqa: E402
from measuring import local_services, percentile, positive  # noqa: E402  (benchmarks/measuring.py)

JWT_SECRET = "benchmark-secret-" + "x" * 32
LIST_PATH = "/v1/leads?page=2&perPage=50"
ME_PATH = "/v1/auth/me"
PATHS = (LIST_PATH, ME_PATH, "/healthz")
# The lead list again on a gunicorn with LIST_PAGE_CACHE_SECONDS=0: every request reads and dumps its page.
UNKEPT = LIST_PATH + " (not kept)"
MAX_REQUESTS = 2000
BATCH = 1000


def seed(app, count: int) -> tuple[str, dict]:
    """One active partner with its owner and ``count`` leads; returns the partner id and auth headers."""
    from pc_app.auth import issue_tokens
    from pc_app.core.models import Lead, User
    from pc_app.core.partners.services import create_partner
    from pc_app.db import ensure_indexes

    with app.app_context():
        ensure_indexes(app.extensions["pc_models"])
        partner = create_partner("Benchmark Leads", status="active")
        user = User(email="owner@bench.example", name="Bench Owner", role="user", partner=partner.id,
                    is_partner_owner=True).save()
        collection = Lead._get_collection()
        start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        for offset in range(0, count, BATCH):
            docs = []
            for i in range(offset, min(count, offset + BATCH)):
                created = start + dt.timedelta(seconds=i)
                email = f"lead{i}@company{i % 997}.example"
                docs.append({
                    "_id": new_id(), "partner": partner.id, "email_key": f"{partner.id}:{email}",
                    "is_deleted": False, "first_name": f"First{i}", "last_name": f"Last{i}", "email": email,
                    "phone": f"+1415555{i % 10000:04d}", "company": f"Company {i % 997}",
                    "company_domain": f"company{i % 997}.example", "job_title": "VP Sales",
                    "seniority": v.SENIORITIES[i % len(v.SENIORITIES)],
                    "industry": v.INDUSTRIES[i % len(v.INDUSTRIES)],
                    "company_size": v.COMPANY_SIZES[i % len(v.COMPANY_SIZES)], "country": "US",
                    "deal_amount": (i * 37) % 500_000, "currency": "usd",
                    "deal_status": v.DEAL_STATUSES[i % len(v.DEAL_STATUSES)], "notes": [], "source": "benchmark",
                    "updated_by": "system", "created_at": created, "updated_at": created,
                })
            collection.insert_many(docs, ordered=False)
        headers = {"Authorization": f"Bearer {issue_tokens(user)['accessToken']}"}
    return partner.id, headers


def round_trips(app, headers: dict) -> dict[str, list[str]]:
    """Database commands one request costs, counted in process by a pymongo CommandListener."""
    counter = app.config["MONGODB_EVENT_LISTENERS"][0]
    client = app.test_client()
    found = {}
    kept_seconds = app.config["LIST_PAGE_CACHE_SECONDS"]
    for label in (*PATHS, UNKEPT):
        app.config["LIST_PAGE_CACHE_SECONDS"] = 0 if label == UNKEPT else kept_seconds
        path = label.split()[0]
        client.get(path, headers=headers)  # warm up: connection and caches
        with counter:
            response = client.get(path, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        found[label] = list(counter.commands)
    return found


def deploy_threads() -> int:
    """The threads per worker the deploy runs: what gunicorn.conf.py sets (GUNICORN_THREADS, else 48)."""
    return int(runpy.run_path(str(ROOT / "gunicorn.conf.py"))["threads"])


def start_gunicorn(env: dict, workers: int, log_path: Path, threads: int = 1) -> tuple[subprocess.Popen, str]:
    """gunicorn with the deploy's settings (gunicorn.conf.py), on loopback, without recycling workers.

    The deploy recycles a worker every ~2,000 requests (GUNICORN_MAX_REQUESTS). A phase here is
    about 1,000 requests a worker, so a recycle always lands in the same phase (the third: the
    workers' connections close and reopen, their in-process copies start empty) and tilts the
    ratios between endpoints; off, every phase is measured in the same steady state. Pass
    GUNICORN_MAX_REQUESTS in the environment to measure with it.
    """
    env = {"GUNICORN_MAX_REQUESTS": "0", **env}
    port = devstack.free_port()
    log = open(log_path, "ab")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py"),
         "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads), "--no-control-socket",
         "--access-logfile", "/dev/null", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}; see {log_path}")
        try:
            if requests.get(base + "/readyz", timeout=2).status_code == 200:
                return process, base
        except requests.RequestException:
            pass
        time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"gunicorn did not become ready within 60 s; see {log_path}")


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by a process and its children (gunicorn's workers, live or recycled); Linux /proc.

    A live child's time is its own; a child that exited and was reaped (gunicorn recycles a
    worker after ``max_requests``) has its time added to the parent's ``cutime``/``cstime``.
    """
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        # fields[1] is the parent's pid; [11], [12] user and system time; [13], [14] those of reaped children
        if int(entry) == pid:
            total += sum(int(f) for f in fields[11:15]) / tick
        elif int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


async def _http_get(reader, writer, head: bytes) -> tuple[int, bool]:
    """One HTTP/1.1 GET on a kept-alive connection: ``(status, whether the server closes it)``."""
    writer.write(head)
    headers = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
    status = int(headers.split(" ", 2)[1])
    closes = "connection: close" in headers
    if "transfer-encoding: chunked" in headers:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        length = next((int(line.split(":", 1)[1]) for line in headers.split("\r\n") if line.startswith("content-length:")), 0)
        await reader.readexactly(length)
    return status, closes


# One event loop for every measurement, and each client's kept-alive connection kept from one
# measurement to the next (per server and client): every kept-alive phase then runs on the same
# connections, so however gunicorn's workers happened to accept them (on 2 workers, 8 connections
# can split 4-4 or 7-1, which moved a ratio between 0.2 and 0.9), it is the same for every phase.
_LOOP = asyncio.new_event_loop()
_KEPT: dict[tuple[str, int], tuple[asyncio.StreamReader, asyncio.StreamWriter]] = {}


def _forget_connections() -> None:
    """Close the kept connections (a server is stopping)."""
    while _KEPT:
        _KEPT.popitem()[1][1].close()


def measure(base: str, request_for, seconds: float, threads: int, max_requests: int | None = MAX_REQUESTS,
            processes: dict[str, int] | None = None, keep_alive: bool = True) -> dict:
    """A bounded loop: ``threads`` clients until ``seconds`` pass or ``max_requests`` are made.

    The clients are coroutines of one asyncio loop speaking HTTP/1.1 on kept-alive connections
    (no HTTP library): on 2 cores, every millisecond of CPU the load generator spends is taken
    from the server it measures, so it spends as little as it can, and says how much
    (``client_cpu_ms`` per request). ``processes`` (name → pid) are the server's processes;
    the CPU each used per request is reported too.

    :param request_for: ``(client index, its request number)`` → ``(path, headers)``.
    :param keep_alive: False opens a connection per request (``Connection: close``), as a proxy without
        upstream keep-alive does; each request then goes to whichever worker accepts it first.
    """
    host, port = base.split("//", 1)[1].rsplit(":", 1)
    latencies: list[float] = []
    failures: list[int] = []
    deadline = time.monotonic() + seconds

    async def client(index: int):
        n = 0
        while time.monotonic() < deadline:
            if max_requests is not None and len(latencies) + len(failures) >= max_requests:
                break
            path, headers = request_for(index, n)
            n += 1
            # Accept-Encoding as every browser and Node's fetch send it: a kept page comes gzipped.
            head = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept-Encoding: gzip, deflate, br\r\n"
                    + ("" if keep_alive else "Connection: close\r\n")
                    + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()
            began = time.perf_counter()
            connection = _KEPT.pop((base, index), None) if keep_alive else None
            reused = connection is not None
            connection = connection or await asyncio.open_connection(host, int(port))
            try:
                status, closes = await asyncio.wait_for(_http_get(*connection, head), 60)
            except (asyncio.IncompleteReadError, ConnectionError):
                if not reused:
                    raise
                # A kept connection the server closed while idle (gunicorn's keepalive): a new one.
                connection[1].close()
                began = time.perf_counter()
                connection = await asyncio.open_connection(host, int(port))
                status, closes = await asyncio.wait_for(_http_get(*connection, head), 60)
            elapsed = time.perf_counter() - began
            (latencies if status == 200 else failures).append(elapsed if status == 200 else status)
            if closes or not keep_alive:
                connection[1].close()
            else:
                _KEPT[(base, index)] = connection

    async def run():
        await asyncio.gather(*(client(i) for i in range(threads)))

    servers_before = {name: process_cpu_seconds(pid) for name, pid in (processes or {}).items()}
    client_before = time.process_time()
    began = time.perf_counter()
    _LOOP.run_until_complete(run())
    wall = time.perf_counter() - began
    done = max(len(latencies) + len(failures), 1)
    return _summary(latencies, len(failures), wall, done, (time.process_time() - client_before) * 1000 / done,
                    {name: (process_cpu_seconds(pid) - servers_before[name]) * 1000 / done
                     for name, pid in (processes or {}).items()})


def _summary(latencies: list[float], failed: int, wall: float, done: int, client_cpu_ms: float,
             cpu_ms: dict[str, float]) -> dict:
    """What a measurement prints (and what ``in_rounds`` adds up): its latencies in seconds, the rest in ms."""
    return {"requests": len(latencies), "failed": failed, "rps": len(latencies) / wall,
            "p50": percentile(latencies, 0.50) * 1000 if latencies else float("nan"),
            "p95": percentile(latencies, 0.95) * 1000 if latencies else float("nan"),
            "mean": statistics.fmean(latencies) * 1000 if latencies else float("nan"),
            "client_cpu_ms": client_cpu_ms, "cpu_ms": cpu_ms, "latencies": latencies, "wall": wall, "done": done}


def in_rounds(phases: dict, rounds: int) -> tuple[dict[str, dict], list[dict[str, dict]]]:
    """Each phase (name → a call of ``measure``) run ``rounds`` times, the phases taking turns, so that
    this machine's drift (it moves by up to half between runs) falls on every phase alike; returns
    each phase's rounds as one measurement (all its requests over all its time), and each round's."""
    each = [{name: run() for name, run in phases.items()} for _round in range(rounds)]
    combined = {}
    for name in phases:
        runs = [results[name] for results in each]
        done = sum(r["done"] for r in runs)
        combined[name] = _summary([x for r in runs for x in r["latencies"]], sum(r["failed"] for r in runs),
                                  sum(r["wall"] for r in runs), done,
                                  sum(r["client_cpu_ms"] * r["done"] for r in runs) / done,
                                  {process: sum(r["cpu_ms"][process] * r["done"] for r in runs) / done
                                   for process in runs[0]["cpu_ms"]})
    return combined, each


def ratios_by_round(each: list[dict[str, dict]], over: str, under: str) -> str:
    """``over``'s throughput over ``under``'s in each round, and their median."""
    found = [results[over]["rps"] / results[under]["rps"] for results in each]
    return ", ".join(f"{ratio:.2f}" for ratio in found) + f" (median {statistics.median(found):.2f})"


def cpu_line(result: dict) -> str:
    """CPU milliseconds per request, by process: where a request's cost goes on this machine."""
    parts = [f"{name} {ms:.2f}" for name, ms in result["cpu_ms"].items()] + [f"load generator {result['client_cpu_ms']:.2f}"]
    return "CPU ms per request: " + ", ".join(parts)


def stop(gunicorn: subprocess.Popen) -> None:
    """Stop a gunicorn started by ``start_gunicorn``: gracefully, then for good after 15 s."""
    _forget_connections()
    if gunicorn.poll() is None:
        gunicorn.terminate()
        try:
            gunicorn.wait(timeout=15)
        except subprocess.TimeoutExpired:
            gunicorn.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=positive(int), default=10_000)
    parser.add_argument("--seconds", type=positive(float), default=20.0, help="total measuring time, split between endpoints")
    parser.add_argument("--threads", type=positive(int), default=2)
    parser.add_argument("--workers", type=positive(int), default=2)
    parser.add_argument("--rounds", type=positive(int), default=3,
                        help="the kept endpoints take turns this many times, each time with the whole budget")
    parser.add_argument("--server-threads", type=positive(int), default=None,
                        help="gunicorn threads per worker (default: the deploy's, gunicorn.conf.py)")
    args = parser.parse_args()
    args.server_threads = args.server_threads or deploy_threads()

    gunicorn = None
    with local_services("leads") as (mongo, redis, workdir):
        try:
            settings = {"PC_ENV": "development", "MONGODB_URL": mongo.url + "pc_bench", "REDIS_URL": redis.url,
                        "JWT_SECRET": JWT_SECRET, "LOG_LEVEL": "WARNING"}
            counter = CommandCounter()
            app = create_app({**settings, "MONGODB_EVENT_LISTENERS": [counter]})
            began = time.perf_counter()
            _partner_id, headers = seed(app, args.leads)
            seeded_in = time.perf_counter() - began
            trips = round_trips(app, headers)

            env = {**os.environ, **settings, "WEB_CONCURRENCY": str(args.workers)}
            gunicorn, base = start_gunicorn(env, args.workers, workdir / "gunicorn.log", args.server_threads)
            check = requests.get(base + LIST_PATH, headers=headers, timeout=30).json()
            # totals are counted up to LIST_COUNT_CAP (pc_app.pages); past it the answer says totalCapped
            expected = (min(args.leads, 1000), args.leads > 1000)
            assert (check["total"], check["totalCapped"]) == expected and len(check["items"]) == 50, \
                {key: value for key, value in check.items() if key != "items"}
            processes = {"app": gunicorn.pid, "nx-27017": mongo.process.pid, "Redis": redis.process.pid}
            share = args.seconds / (len(PATHS) + 1)
            # Warm up, discarded: a fresh worker's first requests open its connections and fill its
            # copies, which no endpoint's figures should carry.
            measure(base, lambda i, n: (PATHS[n % len(PATHS)], headers), 1.0, args.threads, processes=processes)
            results, each = in_rounds({path: lambda p=path: measure(base, lambda _i, _n: (p, headers), share, args.threads,
                                                                     processes=processes)
                                       for path in PATHS}, args.rounds)
            stop(gunicorn)
            gunicorn, base = start_gunicorn({**env, "LIST_PAGE_CACHE_SECONDS": "0"}, args.workers,
                                            workdir / "gunicorn.log", args.server_threads)
            processes["app"] = gunicorn.pid
            results[UNKEPT] = measure(base, lambda _i, _n: (LIST_PATH, headers), share, args.threads, processes=processes)

            print(f"\nGET /v1/leads benchmark: {args.leads:,} leads of one partner (seeded in {seeded_in:.1f} s), "
                  f"gunicorn {args.workers} gthread workers of {args.server_threads} threads, {args.threads} client threads, "
                  f"{share:.0f} s or {MAX_REQUESTS} requests per endpoint, nx-27017 + Redis on this machine "
                  f"({os.cpu_count()} CPUs)\n")
            header = f"{'endpoint':<43} {'requests':>8} {'failed':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} " \
                     f"{'db round trips':>15}"
            print(header)
            print("-" * len(header))
            for path, r in results.items():
                commands = trips[path]
                print(f"{'GET ' + path:<43} {r['requests']:>8} {r['failed']:>6} {r['rps']:>7.1f} {r['p50']:>7.1f} "
                      f"{r['p95']:>7.1f} {len(commands):>15}")
            print()
            for path, r in results.items():
                print(f"{'GET ' + path:<43} {cpu_line(r)}")
            health = results["/healthz"]["rps"]
            print("\nthroughput / healthz: " + "; ".join(f"{path}: {results[path]['rps'] / health:.2f}"
                                                         for path in (LIST_PATH, ME_PATH, UNKEPT)))
            for path in (LIST_PATH, ME_PATH):
                print(f"  {path} / healthz in each of {args.rounds} rounds: {ratios_by_round(each, path, '/healthz')}")
            print("\nround trips (pymongo CommandListener, in process): "
                  + "; ".join(f"{path}: {', '.join(c) or 'none'}" for path, c in trips.items()))
        finally:
            if gunicorn is not None:
                stop(gunicorn)


if __name__ == "__main__":
    main()
