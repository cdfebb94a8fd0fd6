"""Benchmark of the HubSpot sync: HubSpot calls per 100 leads against the batch floor, and the time to sync
10,000 leads against the rate-limit floor.

Usage: python benchmarks/sync.py [--leads 10000] [--call-leads 1000] [--limit 110] [--window 10] [--latency-ms 0]

Starts its own MongoDB wire server (nx-27017), Redis and HubSpot sandbox, connects two partners over
OAuth, and syncs in this process (the sync job's own function, as a worker runs it):

1. ``--call-leads`` new leads: the HubSpot calls it took (the sandbox's call log), per 100 leads,
   against the batch floor — 4 calls per 100 new leads (contacts read, contacts create, deals
   create, associations) — and what else the sync asked (the pull's search, and once per portal
   the marker property). The goal is the floor + 2.
2. ``--leads`` new leads on a second portal with HubSpot's real limit (``--limit`` calls per
   ``--window`` seconds, enforced by the sandbox and kept by our Redis bucket): the wall time,
   against the rate-limit floor — the least time those calls need at that limit. The goal is ≤ 1.2.

``--latency-ms`` adds that much to every HubSpot call (real HubSpot answers batch calls in a few
hundred milliseconds). nx-27017 is SQLite behind MongoDB's wire protocol and slower than MongoDB:
read the figures as this machine's. Results are printed, not asserted.
"""
from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from pc_app import create_app, devstack  # noqa: E402
from measuring import positive  # noqa: E402  (benchmarks/measuring.py)
from pc_app.sandboxes import SANDBOXES  # noqa: E402

REDIRECT_URI = "http://localhost/v1/integrations/hubspot/callback"
NEW_LEAD_CALLS_PER_100 = 4


def build_app(services, sandbox, limit: int, window: float):
    settings = {"PC_ENV": "development", "MONGODB_URL": services["mongo"].url, "MONGODB_DB": "bench_sync",
                "REDIS_URL": services["redis"].url, "PC_PLUGINS": ["hubspot", "sync"],
                "ENCRYPTION_KEY": "7e" * 32, "HUBSPOT_REDIRECT_URI": REDIRECT_URI,
                "HUBSPOT_RATE_LIMIT": limit, "HUBSPOT_RATE_LIMIT_WINDOW_SECONDS": window,
                **sandbox.app_settings}
    app = create_app(settings)
    from pc_app.db import database, ensure_indexes

    with app.app_context():
        for name in database().list_collection_names():
            database()[name].delete_many({})
        ensure_indexes(app.extensions["pc_models"])
    return app


def connected_partner(app, sandbox, name: str) -> tuple[str, int]:
    """A partner whose owner connected a new portal over OAuth (the pipeline made); returns (partner id, hub id)."""
    from pc_app.auth import issue_tokens
    from pc_app.core.models import User
    from pc_app.core.partners.services import create_partner

    with app.app_context():
        partner = create_partner(name, status="active")
        user = User(email=f"owner@{name.lower().replace(' ', '-')}.example", name="Owner", role="user",
                    partner=partner.id, is_partner_owner=True).save()
        headers = {"Authorization": f"Bearer {issue_tokens(user)['accessToken']}"}
    portal = sandbox.admin.create_portal()
    client = app.test_client()
    url = client.get("/v1/integrations/hubspot/authorize", query_string={"partnerId": partner.id},
                     headers=headers).get_json()["authorizationUrl"]
    consent = requests.get(url, params={"portal": portal}, allow_redirects=False, timeout=10)
    done = client.get(consent.headers["Location"][len("http://localhost"):])
    assert parse_qs(urlparse(done.headers["Location"]).query)["status"] == ["success"]
    return partner.id, portal


def seed_leads(app, partner_id: str, count: int) -> None:
    from pc_app.core.models import Lead

    with app.app_context():
        docs = []
        for n in range(count):
            lead = Lead(partner=partner_id, first_name="Jane", last_name=f"Doe{n}", email=f"lead{n}@{partner_id}.example",
                        company=f"Company {n % 500}", deal_amount=1000 + n, deal_status="new")
            lead.email_key = Lead.make_email_key(partner_id, lead.email)
            docs.append(lead.to_mongo())
        for start in range(0, count, 2000):
            Lead._get_collection().insert_many(docs[start:start + 2000], ordered=False)


def run_sync(app, partner_id: str) -> dict:
    """Open (or join) the partner's task and run it here, as the worker's job does; returns it as stored."""
    from plugins.sync import services
    from plugins.sync.models import SyncTask

    with app.app_context():
        task, _must_queue = services.open_task(partner_id, "manual", "system")
        services.run_task(task.id)
        return SyncTask.objects(id=task.id).get()


def crm_calls(sandbox, portal) -> list[dict]:
    return sandbox.admin.calls(portal=portal, route="/crm/")


def rate_floor_seconds(calls: int, limit: int, window: float) -> float:
    """The least time ``calls`` need when at most ``limit`` fit in any ``window``: a burst, then a window each."""
    return max(math.ceil(calls / limit) - 1, 0) * window


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=positive(int), default=10_000)
    parser.add_argument("--call-leads", type=positive(int), default=1_000)
    parser.add_argument("--limit", type=positive(int), default=110)
    parser.add_argument("--window", type=positive(float), default=10.0)
    parser.add_argument("--latency-ms", type=int, default=0)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="pc-bench-sync-"))
    services = {"mongo": devstack.start_mongo(workdir), "redis": devstack.start_redis(workdir)}
    running = SANDBOXES["hubspot"].start(workdir)
    sandbox = SANDBOXES["hubspot"].handle(running.url, running.options)
    try:
        sandbox.admin.configure(rateLimitMax=args.limit, rateLimitWindowSeconds=args.window)
        if args.latency_ms:
            sandbox.admin.add_latency(args.latency_ms, path="/crm/")
        app = build_app(services, sandbox, args.limit, args.window)

        print(f"HubSpot sync benchmark (nx-27017, limit {args.limit} per {args.window:g} s, "
              f"added latency {args.latency_ms} ms)")
        partner, portal = connected_partner(app, sandbox, "Calls Partner")
        run_sync(app, partner)  # the first connection's sync: no leads yet, sets up the marker property
        before = len(crm_calls(sandbox, portal))
        seed_leads(app, partner, args.call_leads)
        task = run_sync(app, partner)
        calls = crm_calls(sandbox, portal)[before:]
        floor = math.ceil(args.call_leads / 100) * NEW_LEAD_CALLS_PER_100
        routes = {}
        for call in calls:
            routes[call["route"]] = routes.get(call["route"], 0) + 1
        print(f"\n1. {args.call_leads} new leads: {len(calls)} HubSpot calls, "
              f"{100 * len(calls) / args.call_leads:.2f} per 100 leads; batch floor {floor} "
              f"({NEW_LEAD_CALLS_PER_100} per 100), {len(calls) - floor} more (goal: floor + 2); task {task.status}")
        for route, count in sorted(routes.items(), key=lambda item: -item[1]):
            print(f"   {count:5d}  {route}")
        again = len(crm_calls(sandbox, portal))
        run_sync(app, partner)
        print(f"   a second sync with nothing new: {len(crm_calls(sandbox, portal)) - again} calls, "
              f"all reads (our own writes read back once)")

        partner, portal = connected_partner(app, sandbox, "Volume Partner")
        run_sync(app, partner)
        seed_leads(app, partner, args.leads)
        before = len(crm_calls(sandbox, portal))
        started = time.monotonic()
        task = run_sync(app, partner)
        elapsed = time.monotonic() - started
        calls = crm_calls(sandbox, portal)[before:]
        limited = sum(1 for c in calls if c["status"] == 429)
        floor_seconds = rate_floor_seconds(len(calls), args.limit, args.window)
        ratio = elapsed / floor_seconds if floor_seconds else float("nan")
        print(f"\n2. {args.leads} new leads: {elapsed:.1f} s, {len(calls)} HubSpot calls ({limited} answered 429), "
              f"task {task.status}, {task.counts.get('created', 0)} deals created")
        print(f"   rate-limit floor: {floor_seconds:.1f} s for {len(calls)} calls at {args.limit} per "
              f"{args.window:g} s; time / floor = {ratio:.2f} (goal <= 1.2)")
    finally:
        running.stop()
        for service in services.values():
            service.stop()


if __name__ == "__main__":
    main()
