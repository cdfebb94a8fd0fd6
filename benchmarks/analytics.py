"""Benchmark of analytics: report latency at 1,000 and 100,000 purchases, and events folded per second.

Usage: python benchmarks/analytics.py [SMALL LARGE]   (default 1000 100000)

Starts its own MongoDB wire server (nx-27017) and Redis through pc_app.devstack. Marketplace
activity (listings, views, holds, purchases, 2 % of them refunded; 40 partners) arrives at a
steady ~33 purchases a day, so 1,000 purchases are the last month and 100,000 are eight
years of history behind it: the question is whether a report's time grows with history
(the issue's "in time that does not grow with history"). The events' rollups and facts are
computed with the same function the plugin folds with (``contributions``) and written in
bulk, so the database holds exactly what folding them one by one would leave, in minutes
instead of hours. The reports are read through the app in process (Flask test client: app +
database, no HTTP server). Last, fresh events are folded on top of the large history,
directly and through the durable delivery job, for events per second.
nx-27017 is SQLite behind the wire protocol: read the figures as this machine's stand-in.
"""
from __future__ import annotations

import datetime as dt
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pc_app import create_app  # noqa: E402
from pc_app.db import new_id  # noqa: E402
from pc_app.events import Event  # noqa: E402
from pc_app.testing import CommandCounter  # noqa: E402
from measuring import local_services, percentile  # noqa: E402  (benchmarks/measuring.py)

PARTNERS = 40
PER_DAY = 1_000 / 30          # purchases a day, steady: history grows with the number of purchases
INDUSTRIES = ("saas", "fintech", "retail", "healthcare", "logistics", None)
REQUESTS = 40                 # per measurement (after 3 warm-up requests)
FOLD_EVENTS = 1_000           # folded directly on top of the large history
DELIVERED_EVENTS = 300        # folded through store + delivery job
BATCH = 5_000
UTC = dt.timezone.utc


def purchase_events(rng: random.Random, n: int, partners: list[str], first: dt.datetime,
                    last: dt.datetime) -> list[Event]:
    """Per purchase (sold between ``first`` and ``last``): listed 1-400 hours before, viewed 1-3 times,
    reserved, bought; 2 % refunded a day or two later."""
    events = []
    span = (last - first).total_seconds()
    for _ in range(n):
        seller, buyer = rng.sample(partners, 2)
        sold_at = first + dt.timedelta(seconds=rng.uniform(0, span))
        listed_at = sold_at - dt.timedelta(hours=rng.uniform(1, 400))
        price = rng.randrange(500, 200_000)
        fee = price * 20 // 100
        listing, lead, reservation, purchase = new_id(), new_id(), new_id(), new_id()
        industry = rng.choice(INDUSTRIES)
        hold = {"reservationId": reservation, "listingId": listing, "leadId": lead, "buyerPartnerId": buyer,
                "sellerPartnerId": seller}
        events.append(Event("marketplace.lead_listed", (seller,), "system", {
            "listingId": listing, "leadId": lead, "sellerPartnerId": seller, "price": price, "currency": "usd",
            "matchingPartnerIds": [], "industry": industry, "listedAt": listed_at.isoformat()}, occurred_at=listed_at))
        for view in range(rng.randint(1, 3)):
            events.append(Event("marketplace.lead_viewed", (seller,), "system", {
                "listingId": listing, "leadId": lead, "viewerPartnerId": buyer, "firstView": view == 0},
                occurred_at=listed_at + (sold_at - listed_at) / 4))
        events.append(Event("payments.lead_reserved", (buyer, seller), "system", {
            **hold, "price": price, "currency": "usd", "expiresAt": sold_at.isoformat(), "industry": industry},
            occurred_at=listed_at + (sold_at - listed_at) / 2))
        money = {"amount": price, "platformFee": fee, "sellerPayout": price - fee, "currency": "usd",
                 "industry": industry}
        events.append(Event("payments.purchase_succeeded", (buyer, seller), "system", {
            "purchaseId": purchase, **hold, "buyerLeadId": new_id(), **money, "listedAt": listed_at.isoformat(),
            "reservedAt": sold_at.isoformat()}, occurred_at=sold_at))
        if rng.random() < 0.02:
            events.append(Event("payments.purchase_refunded", (buyer, seller), "system", {
                "purchaseId": purchase, "listingId": listing, "leadId": lead, "buyerPartnerId": buyer,
                "sellerPartnerId": seller, **money, "reason": "requested_by_customer"},
                occurred_at=min(sold_at + dt.timedelta(days=rng.uniform(0.5, 2)), last)))
    return events


def write_folded(events: list[Event]) -> tuple[int, int]:
    """Insert the facts and add the rollups exactly as folding each event would; returns (facts, rollups)."""
    from plugins.analytics.models import Fact, Rollup
    from plugins.analytics.services.contributions import contributions_of, event_day, parse_rollup_id

    rollups: dict[str, dict] = {}
    facts = []
    for event in events:
        parts = contributions_of(event, "usd")
        facts.append({"_id": event.id, "name": event.name, "day": event_day(event.occurred_at),
                      "occurred_ms": int(event.occurred_at.timestamp() * 1000), "status": "applied",
                      "contributions": [{"doc": d, "inc": inc} for d, inc in sorted(parts.items())]})
        for doc_id, inc in parts.items():
            doc = rollups.setdefault(doc_id, {"n": 0})
            doc["n"] += 1
            for name, amount in inc.items():
                doc[name] = doc.get(name, 0) + amount
    for i in range(0, len(facts), BATCH):
        Fact._get_collection().insert_many(facts[i:i + BATCH], ordered=False)
    collection = Rollup._get_collection()
    existing = {doc["_id"]: doc for doc in collection.find({"_id": {"$in": list(rollups)}})}
    fresh = []
    for doc_id, counters in rollups.items():
        if doc_id in existing:
            collection.update_one({"_id": doc_id}, {"$inc": counters})
        else:
            scope, key, day = parse_rollup_id(doc_id)
            fresh.append({"_id": doc_id, "scope": scope, "key": key, "day": day, **counters})
    for i in range(0, len(fresh), BATCH):
        collection.insert_many(fresh[i:i + BATCH], ordered=False)
    return len(facts), len(rollups)


def measure(client, url: str, headers: dict, params: dict, counter: CommandCounter) -> dict:
    for _ in range(3):
        assert client.get(url, headers=headers, query_string=params).status_code == 200
    timings, trips = [], 0
    for _ in range(REQUESTS):
        with counter:
            t0 = time.perf_counter()
            response = client.get(url, headers=headers, query_string=params)
            timings.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.get_json()
        trips += counter.count
    return {"p50": percentile(timings, 0.5) * 1000, "p95": percentile(timings, 0.95) * 1000,
            "trips": trips / REQUESTS}


def fold_rate(app, events: list[Event], counter: CommandCounter) -> tuple[float, float]:
    from plugins.analytics.services.folding import fold

    with app.app_context(), counter:
        t0 = time.perf_counter()
        for event in events:
            fold(event)
        elapsed = time.perf_counter() - t0
    return len(events) / elapsed, counter.count / len(events)


def delivered_rate(app, events: list[Event]) -> float:
    """Through the durable path: store each event (as emit does), then a job folds it."""
    from pc_app.event_delivery import deliver_event, store_and_queue
    from pc_app.events import subscribers

    with app.app_context():
        t0 = time.perf_counter()
        for event in events:
            store_and_queue(event, subscribers(event.name, durable=True, app=app))
            deliver_event(event.id)   # what the worker's job runs, in this process
        elapsed = time.perf_counter() - t0
    return len(events) / elapsed


def main(argv: list[str]) -> int:
    sizes = sorted(int(a.replace(",", "").replace("_", "")) for a in argv) or [1_000, 100_000]
    small, large = sizes[0], sizes[-1]
    counter = CommandCounter()
    with local_services("analytics") as (mongo, redis, workdir):
        app = create_app({"PC_ENV": "development", "MONGODB_URL": mongo.url, "MONGODB_DB": "bench",
                          "REDIS_URL": redis.url, "PC_PLUGINS": ["analytics"], "MAIL_BACKEND": "outbox",
                          "MONGODB_EVENT_LISTENERS": [counter], "CORS_ORIGINS": ["http://localhost:3001"]})
        rng = random.Random(7)
        end = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(hours=1)
        with app.app_context():
            from pc_app.auth import issue_tokens
            from pc_app.core.models import User
            from pc_app.core.partners.services import create_partner
            from pc_app.db import ensure_indexes

            ensure_indexes(app.extensions["pc_models"])
            partners = [str(create_partner(f"Partner {i}", status="active").id) for i in range(PARTNERS)]
            member = User(email="member@bench.test", name="Member", partner=partners[0]).save()
            admin = User(email="admin@bench.test", name="Admin", role="admin").save()
            partner_headers = {"Authorization": f"Bearer {issue_tokens(member)['accessToken']}"}
            admin_headers = {"Authorization": f"Bearer {issue_tokens(admin)['accessToken']}"}

        client = app.test_client()
        cases = [("partner, 30 days by day", f"/v1/analytics/partner/{partners[0]}", partner_headers, {}),
                 ("partner, 30 days by week", f"/v1/analytics/partner/{partners[0]}", partner_headers,
                  {"interval": "week"}),
                 ("marketplace, 30 days by day", "/v1/analytics/marketplace", admin_headers, {}),
                 ("marketplace, 30 days by week", "/v1/analytics/marketplace", admin_headers, {"interval": "week"})]
        print(f"analytics benchmark: {PARTNERS} partners, {PER_DAY:.0f} purchases a day (history grows with the "
              f"purchases); nx-27017 + Redis on this machine, in-process client; {REQUESTS} requests per measurement")
        results: dict = {}
        seeded = 0
        for size in (small, large):
            t0 = time.perf_counter()
            # The newest purchases first (the last days), older history behind them.
            newest = end - dt.timedelta(days=seeded / PER_DAY)
            oldest = end - dt.timedelta(days=size / PER_DAY)
            with app.app_context():
                facts, rollups = write_folded(purchase_events(rng, size - seeded, partners, oldest, newest))
            seeded = size
            print(f"\n{size:,} purchases ({size / PER_DAY:,.0f} days of history): {facts:,} more facts, "
                  f"{rollups:,} rollups touched (written in {time.perf_counter() - t0:.1f} s)")
            print(f"  {'report':<30} {'p50 ms':>8} {'p95 ms':>8} {'trips':>6}")
            for label, url, headers, params in cases:
                result = measure(client, url, headers, params, counter)
                results[(size, label)] = result
                print(f"  {label:<30} {result['p50']:>8.1f} {result['p95']:>8.1f} {result['trips']:>6.1f}")
        print(f"\nlatency ratio, {large:,} / {small:,} purchases (p50; goal <= 1.5):")
        for label, *_ in cases:
            ratio = results[(large, label)]["p50"] / results[(small, label)]["p50"]
            print(f"  {label:<30} {ratio:>5.2f}  {'ok' if ratio <= 1.5 else 'OVER GOAL'}")

        today = end - dt.timedelta(hours=6)
        fresh = purchase_events(rng, FOLD_EVENTS // 5, partners, today, end)[:FOLD_EVENTS]
        rate, trips = fold_rate(app, fresh, counter)
        print(f"\nfolding {len(fresh):,} fresh events on top of {large:,} purchases: {rate:,.0f} events/s "
              f"({trips:.1f} database round trips per event)")
        delivered = purchase_events(rng, DELIVERED_EVENTS // 5, partners, today, end)[:DELIVERED_EVENTS]
        print(f"through the durable path (store the event, delivery job, fold): "
              f"{delivered_rate(app, delivered):,.0f} events/s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
