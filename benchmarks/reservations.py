"""Benchmark of reservations: reserve requests/s under contention, database round trips per reserve, expiry lag.

Usage: python benchmarks/reservations.py [LISTINGS] [BUYERS]   (default 200 listings, 20 buyers)

Starts its own MongoDB wire server (nx-27017) and Redis through pc_app.devstack, enables only the
marketplace and payments plugins, and lists leads as the house seller (no payout account needed).

1. Contention: BUYERS threads each try to reserve every listing, in their own random order, through
   the app in process (Flask test client: no HTTP server, so the figures are app + database). Every
   listing must end with exactly one winner; the rest are 409s. Prints requests/s and the split.
2. Round trips: the database commands one uncontended reserve sends (``CommandCounter``), with the two
   the auth layer makes (the user, then the partner) counted apart. Goal: at most 3 of the reserve's own.
3. Expiry lag: a real worker with the scheduler (``pc-app worker --with-scheduler``) runs the expiry
   jobs scheduled at ``expiresAt``; reservations of a few seconds are made one after another and the
   lag is ``closed_ms - expires_ms`` of each (when the job closed it, against when it was due). Goal:
   p95 at most 2 s. The per-minute sweeper is not running, so the figures are the job's alone.

nx-27017 is SQLite behind the wire protocol: read the figures as this machine's stand-in, not MongoDB's.
"""
from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pc_app import create_app  # noqa: E402
from pc_app.testing import CommandCounter, bearer  # noqa: E402
from measuring import local_services, percentile  # noqa: E402  (benchmarks/measuring.py)

EXPIRY_RESERVATIONS = 30
EXPIRY_HOURS = 3 / 3600            # each hold lasts 3 s
EXPIRY_SPACING_SECONDS = 0.25      # one reservation every quarter second
EXPIRY_WAIT_SECONDS = 30           # give up on a job that never ran after this long


def make_app(mongo_url: str, redis_url: str, counter: CommandCounter, **settings):
    config = {"PC_ENV": "development", "MONGODB_URL": mongo_url, "MONGODB_DB": "pc_bench_reservations",
              "REDIS_URL": redis_url, "PC_PLUGINS": ["marketplace", "payments"], "MAIL_BACKEND": "outbox",
              "MONGODB_EVENT_LISTENERS": [counter], **settings}
    app = create_app(config)
    with app.app_context():
        from pc_app.db import database, ensure_indexes
        from pc_app.redis_client import get_redis

        db = database()
        for name in db.list_collection_names():
            db[name].delete_many({})
        ensure_indexes(app.extensions["pc_models"])
        get_redis(app).flushdb()
    return app


def people(app, buyers: int):
    """The house seller and ``buyers`` active buyer partners, each with a signed-in owner."""
    from pc_app.auth import issue_tokens
    from pc_app.core.models import User
    from pc_app.core.partners.services import create_partner

    with app.app_context():
        def owner(name, is_platform=False):
            partner = create_partner(name, status="active", is_platform=is_platform)
            user = User(email=f"{partner.slug}@bench.test", name=name, role="user", partner=partner.id,
                        is_partner_owner=True, is_active=True).save()
            return bearer(issue_tokens(user)["accessToken"])
        return owner("House", is_platform=True), [owner(f"Buyer {n}") for n in range(buyers)]


def list_leads(app, seller: dict, count: int) -> list[str]:
    client = app.test_client()
    lead_ids = []
    for n in range(count):
        lead = client.post("/v1/leads", json={"firstName": "Alex", "email": f"lead{n}-{time.time_ns()}@bench.test",
                                              "company": "Acme", "industry": "saas"}, headers=seller).get_json()
        listed = client.post(f"/v1/marketplace/leads/{lead['id']}/list", json={"price": 5000}, headers=seller)
        assert listed.status_code == 201, listed.get_json()
        lead_ids.append(lead["id"])
    return lead_ids


def contention(app, seller: dict, buyers: list[dict], listings: int) -> None:
    lead_ids = list_leads(app, seller, listings)
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(buyers))

    def buyer_run(headers, seed):
        client = app.test_client()
        order = list(lead_ids)
        random.Random(seed).shuffle(order)
        barrier.wait()
        mine = [client.post(f"/v1/marketplace/leads/{lead_id}/reserve", headers=headers).status_code
                for lead_id in order]
        with lock:
            statuses.extend(mine)

    threads = [threading.Thread(target=buyer_run, args=(headers, n)) for n, headers in enumerate(buyers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    won, refused, other = statuses.count(201), statuses.count(409), len(statuses) - statuses.count(201) - \
        statuses.count(409)
    print(f"contention: {len(buyers)} buyers x {listings} listings = {len(statuses)} reserve requests "
          f"in {elapsed:.1f} s -> {len(statuses) / elapsed:.0f} requests/s")
    print(f"  201 won: {won} (one per listing: {'yes' if won == listings else 'NO'}), 409 refused: {refused}, "
          f"other: {other}")


def round_trips(app, seller: dict, buyer: dict, counter: CommandCounter) -> None:
    [lead_id] = list_leads(app, seller, 1)
    client = app.test_client()
    with counter:
        response = client.post(f"/v1/marketplace/leads/{lead_id}/reserve", headers=buyer)
    assert response.status_code == 201, response.get_json()
    commands = list(counter.commands)
    auth, own = commands[:2], commands[2:]
    print(f"round trips per reserve: {len(own)} of its own {own} (goal <= 3), plus {len(auth)} for auth {auth}")


def expiry_lag(mongo_url: str, redis_url: str, counter: CommandCounter, workdir: Path) -> None:
    app = make_app(mongo_url, redis_url, counter, PAYMENTS_RESERVATION_HOURS=EXPIRY_HOURS,
                   PAYMENTS_MAX_ACTIVE_RESERVATIONS=EXPIRY_RESERVATIONS)
    seller, [buyer] = people(app, 1)
    lead_ids = list_leads(app, seller, EXPIRY_RESERVATIONS)
    env = {**os.environ, "PC_ENV": "development", "MONGODB_URL": mongo_url, "MONGODB_DB": "pc_bench_reservations",
           "REDIS_URL": redis_url, "PC_PLUGINS": "marketplace,payments", "LOG_LEVEL": "WARNING"}
    worker = subprocess.Popen([sys.executable, "-m", "pc_app.cli", "worker", "--with-scheduler", "default"],
                              env=env, cwd=ROOT, stdout=open(workdir / "worker.log", "w"), stderr=subprocess.STDOUT)
    try:
        client = app.test_client()
        ids = []
        for lead_id in lead_ids:
            response = client.post(f"/v1/marketplace/leads/{lead_id}/reserve", headers=buyer)
            assert response.status_code == 201, response.get_json()
            ids.append(response.get_json()["id"])
            time.sleep(EXPIRY_SPACING_SECONDS)
        from plugins.payments.models import Reservation

        deadline = time.monotonic() + EXPIRY_WAIT_SECONDS
        with app.app_context():
            while time.monotonic() < deadline:
                if Reservation.objects(id__in=ids, status="active").count() == 0:
                    break
                time.sleep(0.2)
            rows = list(Reservation._get_collection().find({"_id": {"$in": ids}},
                                                           {"status": 1, "expires_ms": 1, "closed_ms": 1}))
    finally:
        worker.terminate()
        worker.wait(10)
    lags = [(row["closed_ms"] - row["expires_ms"]) / 1000 for row in rows if row.get("closed_ms")]
    missed = len(ids) - len(lags)
    if not lags:
        print(f"expiry lag: no reservation expired within {EXPIRY_WAIT_SECONDS} s (see {workdir / 'worker.log'})")
        return
    print(f"expiry lag after expiresAt over {len(lags)} reservations (job at expiresAt, worker with scheduler): "
          f"p50 {percentile(lags, 0.5):.2f} s, p95 {percentile(lags, 0.95):.2f} s, max {max(lags):.2f} s "
          f"(goal p95 <= 2 s); not expired: {missed}")


def main(argv: list[str]) -> None:
    listings = int(argv[0]) if argv else 200
    buyers = int(argv[1]) if len(argv) > 1 else 20
    counter = CommandCounter()
    with local_services("reservations") as (mongo, redis, workdir):
        # Every buyer may hold as many as there are listings: only the listing decides who wins.
        app = make_app(mongo.url, redis.url, counter, PAYMENTS_MAX_ACTIVE_RESERVATIONS=listings)
        seller, buyer_headers = people(app, buyers)
        contention(app, seller, buyer_headers, listings)
        round_trips(app, seller, buyer_headers[0], counter)
        expiry_lag(mongo.url, redis.url, counter, workdir)


if __name__ == "__main__":
    main(sys.argv[1:])
