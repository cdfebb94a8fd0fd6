"""Benchmark of the list routes: p50/p95 and database round trips of page 2 at growing sizes.

Usage: python benchmarks/lists.py [SIZE ...] [--requests 60]   (sizes default to 1000 10000 100000)

Starts its own MongoDB wire server (nx-27017) and Redis through pc_app.devstack and, for each
size, tops up one partner's users, leads, listings, reservations, purchases, invoices, sync tasks,
sync conflicts and webhook deliveries to that many rows each (insert_many of documents built by the models, straight
into the collections), then requests page 2 (50 per page) of each list through the app in
process (Flask test client: app + database, no HTTP server), --requests times each, counting
database commands with a pymongo CommandListener. Each list is measured three ways: ``read``, with
``LIST_PAGE_CACHE_SECONDS=0`` (the page read and dumped on every request: what the design costs
per page), ``kept``, as deployed (the same page asked again is answered from its kept JSON,
``pc_app.pages.page_answer``; a kept page of reservations has its ``secondsLeft`` worked out each time),
and ``others``, as deployed while other partners write: before each request, one document of that
list's collection is inserted for two other partners (a user, a lead, a listing, a reservation, a purchase
between them, an invoice, a task, a conflict, a webhook delivery), as their own trading and syncing does. A list kept
per partner (``collection_versions.count_writes_by_owner``) stays kept; one kept per collection is
read again after each such write. "trips/req" is the average of the measured requests. A
size whose seeding would not fit the budget is reported as skipped. nx-27017 is SQLite behind the wire protocol: read the figures
as this machine's stand-in, not as MongoDB's. In particular it counts the whole collection
before every aggregation (``SELECT COUNT(1)``, to estimate the result's size), so each size
also prints that floor: one aggregate by ``_id``. Results are printed, not asserted.
"""
from __future__ import annotations

import argparse
import datetime as dt
import itertools
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pc_app import create_app  # noqa: E402
from pc_app.db import new_id  # noqa: E402
from pc_app.testing import CommandCounter  # noqa: E402
from measuring import local_services, percentile, positive  # noqa: E402  (benchmarks/measuring.py)

BATCH = 1000
SEED_BUDGET_SECONDS = 600
# LIST_PAGE_CACHE_SECONDS per measurement: every page read and dumped, then as deployed.
MODES = {"read": 0, "kept": 30, "others": 30}
LISTS = {
    "users": "/v1/users?page=2&perPage=50",
    "leads": "/v1/leads?page=2&perPage=50",
    "my-listings": "/v1/marketplace/my-listings?page=2&perPage=50",
    "reservations": "/v1/marketplace/reservations?page=2&perPage=50",
    "purchases": "/v1/marketplace/purchases?page=2&perPage=50",
    "invoices": "/v1/invoices?page=2&perPage=50",
    "sync tasks": "/v1/sync/tasks?page=2&perPage=50",
    "sync conflicts": "/v1/sync/conflicts?page=2&perPage=50",
    # The partner's webhook endpoint, made when the benchmark starts (``ENDPOINTS``).
    "deliveries": "/v1/partners/{partner}/webhooks/{endpoint}/deliveries?page=2&perPage=50",
}
# Each partner's one webhook endpoint id (its deliveries are listed per endpoint).
ENDPOINTS: dict[str, str] = {}


def documents(kind: str, partner: str, other: str, start: int, count: int) -> list[dict]:
    """``count`` stored documents of one list, numbered from ``start`` (created a second apart)."""
    from pc_app.core.models import Lead, User
    from plugins.activity.models import WebhookDelivery
    from plugins.marketplace.models import Listing
    from plugins.payments.models import Invoice, Purchase, Reservation
    from plugins.sync.models import SyncConflict, SyncTask

    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    docs = []
    for i in range(start, start + count):
        at = base + dt.timedelta(seconds=i)
        ids = {"listing": new_id(), "lead": new_id()}
        stamps = {"created_at": at, "updated_at": at}
        if kind == "users":
            doc = User(partner=partner, email=f"user{i}.{partner[-6:]}@lists.bench", name=f"User {i}", **stamps)
        elif kind == "leads":
            email = f"lead{i}@example.com"
            doc = Lead(partner=partner, first_name=f"F{i}", email=email, email_key=f"{partner}:{email}", notes=[],
                       **stamps)
        elif kind == "my-listings":
            doc = Listing(lead=ids["lead"], seller=partner, price=5000, status="sold", email=f"l{i}@example.com",
                          masked_email="l***@example.com", fit_terms=[], **stamps)
        elif kind == "reservations":
            ms = int(at.timestamp() * 1000)
            doc = Reservation(**ids, seller=other, buyer=partner, price=5000, status="expired", reserved_ms=ms,
                              expires_ms=ms + 1, expires_at=at, hold_limit_ms=ms + 2, **stamps)
        elif kind == "purchases":
            doc = Purchase(**ids, reservation=new_id(), attempt=1, attempt_key=new_id(), seller=other,
                           buyer=partner, amount=5000, platform_fee=500, seller_payout=4500,
                           payment_method="pm_card_visa", status="succeeded", **stamps)
        elif kind == "invoices":
            doc = Invoice(draft_key=f"{new_id()}:buyer", invoice_type="buyer", purchase=new_id(), partner=partner,
                          year=2026, total=5000, status="issued", number=f"PC-2026-{i:06d}", **stamps)
        elif kind == "deliveries":
            doc = WebhookDelivery(endpoint=ENDPOINTS[partner], partner=partner, event_id=new_id(),
                                  event_type="core.lead_created", body="{}", status="succeeded", attempts=1,
                                  created_ms=int(at.timestamp() * 1000), created_at=at)
        elif kind == "sync tasks":
            doc = SyncTask(partner=partner, trigger="schedule", requested_by="system", status="completed", **stamps)
        else:
            doc = SyncConflict(partner=partner, lead=ids["lead"], link=new_id(), portal=1, deal_id=str(i),
                               reason="both_changed", status="resolved", **stamps)
        son = doc.to_mongo().to_dict()
        son["_id"] = new_id()
        docs.append(son)
    return docs


def collection_of(kind: str):
    from pc_app.core.models import Lead, User
    from plugins.activity.models import WebhookDelivery
    from plugins.marketplace.models import Listing
    from plugins.payments.models import Invoice, Purchase, Reservation
    from plugins.sync.models import SyncConflict, SyncTask

    return {"users": User, "leads": Lead, "deliveries": WebhookDelivery, "my-listings": Listing,
            "reservations": Reservation, "purchases": Purchase,
            "invoices": Invoice, "sync tasks": SyncTask, "sync conflicts": SyncConflict}[kind]._get_collection()


def aggregate_floor(kind: str, repeat: int = 30) -> float:
    """p50 ms of the cheapest aggregation there is (one document by ``_id``) on a list's collection.

    nx-27017 runs ``SELECT COUNT(1)`` over the whole collection before every aggregation (it
    estimates the result's size), so this floor grows with the data by itself: it is what any
    route pays per aggregation here, whatever its design, and not what MongoDB pays.
    """
    collection = collection_of(kind)
    some_id = collection.find_one({}, {"_id": 1})["_id"]
    timings = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        list(collection.aggregate([{"$match": {"_id": some_id}}]))
        timings.append(time.perf_counter() - t0)
    return percentile(timings, 0.5) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=positive(int))
    parser.add_argument("--requests", type=positive(int), default=60)
    options = parser.parse_args()
    sizes = sorted(options.sizes) or [1_000, 10_000, 100_000]

    counter = CommandCounter()
    with local_services("lists") as (mongo, redis, _workdir):
        app = create_app({"PC_ENV": "development", "MONGODB_URL": mongo.url + "bench_lists", "REDIS_URL": redis.url,
                          "PC_PLUGINS": ["marketplace", "payments", "hubspot", "sync", "activity"],
                          "MAIL_BACKEND": "outbox",
                          "LOG_LEVEL": "WARNING", "MONGODB_EVENT_LISTENERS": [counter]})
        with app.app_context():
            from pc_app.auth import issue_tokens
            from pc_app.core.models import User
            from pc_app.core.partners.services import create_partner
            from pc_app.db import ensure_indexes
            from plugins.activity.models import WebhookEndpoint

            ensure_indexes(app.extensions["pc_models"])
            partner = str(create_partner("Bench Lists", status="active").id)
            other = str(create_partner("Bench Other", status="active").id)
            third = str(create_partner("Bench Third", status="active").id)  # trades with ``other``
            user = User(email="owner@lists.bench", name="Owner", partner=partner, is_partner_owner=True).save()
            headers = {"Authorization": f"Bearer {issue_tokens(user)['accessToken']}"}
            for owner in (partner, other):  # an endpoint each, made straight in the collection as the rows are
                ENDPOINTS[owner] = new_id()
                WebhookEndpoint._get_collection().insert_one(WebhookEndpoint(
                    id=ENDPOINTS[owner], partner=owner, url="https://hooks.example.com/pc", secret="unused",
                    event_types=["*"], created_ms=0).to_mongo().to_dict())
            LISTS["deliveries"] = LISTS["deliveries"].format(partner=partner, endpoint=ENDPOINTS[partner])
        client = app.test_client()
        print(f"list routes, page 2 of 50, one partner's rows; in process; {options.requests} requests each; "
              "nx-27017 + Redis on this machine")
        print(f"{'rows':>7} {'list':<15} {'answer':<6} {'p50 ms':>8} {'p95 ms':>8} {'trips/req':>9}")
        seeded, rate = 0, None
        others_numbers = itertools.count(100_000_000)
        p50s: dict[tuple[str, str], dict[int, float]] = {(kind, mode): {} for kind in LISTS for mode in MODES}
        floors: dict[int, float] = {}
        for size in sizes:
            missing = (size - seeded) * len(LISTS)
            if rate and missing / rate > SEED_BUDGET_SECONDS:
                print(f"{size:>7} skipped: seeding {missing:,} more rows would take about {missing / rate:.0f} s "
                      f"(budget {SEED_BUDGET_SECONDS} s)")
                continue
            began = time.perf_counter()
            with app.app_context():
                for kind in LISTS:
                    for offset in range(seeded, size, BATCH):
                        n = min(BATCH, size - offset)
                        collection_of(kind).insert_many(documents(kind, partner, other, offset, n), ordered=False)
            if missing:
                rate = missing / (time.perf_counter() - began)
            seeded = size
            with app.app_context():
                floors[size] = aggregate_floor("leads")
            print(f"{size:>7} {'(floor)':<15} {floors[size]:>8.2f}          one aggregate by _id on the stand-in")
            for (kind, path), (mode, kept_seconds) in itertools.product(LISTS.items(), MODES.items()):
                app.config["LIST_PAGE_CACHE_SECONDS"] = kept_seconds
                response = client.get(path, headers=headers)  # warm up
                assert response.status_code == 200, (kind, response.get_data(as_text=True)[:300])
                timings, trips = [], 0
                for _ in range(options.requests):
                    if mode == "others":  # another partner's write to this list's collection (not measured)
                        with app.app_context():
                            # Numbered apart from the seeded rows (an invoice number is unique).
                            collection_of(kind).insert_many(documents(kind, other, third, next(others_numbers), 1))
                    with counter:
                        t0 = time.perf_counter()
                        response = client.get(path, headers=headers)
                        timings.append(time.perf_counter() - t0)
                    assert response.status_code == 200 and len(response.get_json()["items"]) == 50, kind
                    trips += counter.count
                p50s[kind, mode][size] = percentile(timings, 0.5) * 1000
                print(f"{size:>7} {kind:<15} {mode:<6} {p50s[kind, mode][size]:>8.1f} "
                      f"{percentile(timings, 0.95) * 1000:>8.1f} {trips / len(timings):>9.2f}")
                sys.stdout.flush()
        if rate:
            print(f"seeding rate (insert_many, batches of {BATCH}): {rate:.0f} rows/s")
        smallest, largest = sizes[0], max(s for s in sizes if s <= seeded)
        if largest != smallest:
            for mode in MODES:
                print(f"p50 at {largest:,} / p50 at {smallest:,}, {mode} (goal <= 1.5): " + ", ".join(
                    f"{kind} {p50s[kind, mode][largest] / p50s[kind, mode][smallest]:.2f}" for kind in LISTS))
            print(f"the stand-in's floor per aggregate grew {floors[largest] / floors[smallest]:.1f}x by itself "
                  f"({floors[smallest]:.2f} -> {floors[largest]:.2f} ms); each list makes 1-2 aggregates")
    return 0


if __name__ == "__main__":
    sys.exit(main())
