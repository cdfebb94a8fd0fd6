"""Benchmark of kept answers while other partners write: round trips and latency of one partner's lists.

Usage: python benchmarks/kept_under_writes.py [--leads 1000] [--listings 1000] [--rates 0,5,50]
       [--seconds 10] [--writes leads|reservations|listings|holds]

Starts its own MongoDB wire server (nx-27017) and Redis through pc_app.devstack and seeds three
partners: a buyer with an ICP and --leads leads, a seller with --listings listings, and an
"other" partner with --leads leads. For each write rate, a writer thread edits the other
partner's leads through the core service (``update_lead``: a mongoengine save, as a PATCH or a
CRM sync does), or with ``--writes reservations`` has the other partner reserve the seller's
listings (``mark_reserved``, as a reservation or a checkout does; a random listing each time), or
with ``--writes listings`` has the seller list new leads (``create_lead`` and ``list_lead``, with
the job titles the marketplace already has), or with ``--writes holds`` has the other partner
reserve a listing through the payments plugin and cancel its previous hold (a reservation
recorded, the listing reserved, then both closed and relisted: the buyer, holding reservations of
its own, also asks for its reservations list), that many times a second, while the buyer asks, every 50 ms and for --seconds,
for page 2 of its lead list (50 per page) and page 1 of browse by ICP score (25 per page),
in turn. Requests go through the app in process (Flask test client). Printed per list and
rate: the database round trips of the buyer's requests (the writer's own are not counted), the
share answered without any, p50 and p95. Kept answers end with a write that may reach what
they show: the figures say how much of the cache another partner's writes take away.
nx-27017 is SQLite behind the wire protocol: read the times as this machine's stand-in.
"""
from __future__ import annotations

import argparse
import datetime as dt
import itertools
import random
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pc_app import create_app  # noqa: E402
from pc_app.toolkit import SYSTEM  # noqa: E402
from pc_app.testing import CommandCounter  # noqa: E402
from marketplace_browse import TITLES, listing_docs, seller_lead_docs  # noqa: E402
from measuring import local_services, percentile, positive  # noqa: E402  (benchmarks/measuring.py)

INTERVAL_SECONDS = 0.05
LISTS = {"lead list": "/v1/leads?page=2&perPage=50", "browse": "/v1/marketplace/leads?page=1&perPage=25"}
JWT_SECRET = "benchmark-secret-" + "x" * 32


class ThreadCommands(CommandCounter):
    """``CommandCounter`` of one thread's commands (pymongo tells a listener in the sending thread): the
    buyer's, not the writer's."""

    def __init__(self):
        super().__init__()
        self.thread = None

    def started(self, event):
        if threading.get_ident() == self.thread:
            super().started(event)


def measure(app, headers: dict, counter: ThreadCommands, write, rate: float, seconds: float) -> dict:
    """The buyer's requests while ``write(n)`` runs ``rate`` times a second in another thread."""
    stop = threading.Event()
    written = [0]

    def writer():
        with app.app_context():
            n = 0
            while rate > 0 and not stop.wait(1 / rate):
                write(n)
                n += 1
            written[0] = n

    thread = threading.Thread(target=writer)
    thread.start()
    client = app.test_client()
    counter.thread = threading.get_ident()
    counter.recording = True
    found = {name: {"trips": [], "ms": []} for name in LISTS}
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            for name, path in LISTS.items():
                counter.commands = []
                started = time.perf_counter()
                response = client.get(path, headers=headers)
                found[name]["ms"].append((time.perf_counter() - started) * 1000)
                found[name]["trips"].append(counter.count)
                if response.status_code != 200:
                    raise SystemExit(f"{path}: {response.status_code} {response.get_data(as_text=True)[:200]}")
            time.sleep(INTERVAL_SECONDS)
    finally:
        stop.set()
        thread.join()
        counter.thread, counter.recording = None, False
    return {"written": written[0], "lists": found}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=positive(int), default=1000)
    parser.add_argument("--listings", type=positive(int), default=1000)
    parser.add_argument("--rates", default="0,5,50", help="the other partner's lead writes per second, comma-separated")
    parser.add_argument("--seconds", type=positive(float), default=10.0)
    parser.add_argument("--writes", choices=("leads", "reservations", "listings", "holds"), default="leads",
                        help="what is written: the other partner's leads, its reservations of the seller's listings, "
                             "the seller's new listings, or the other partner's holds (payments: reserve, cancel)")
    options = parser.parse_args()
    rates = [float(rate) for rate in options.rates.split(",")]

    counter = ThreadCommands()
    with local_services("writes") as (mongo, redis, _workdir):
        app = create_app({"PC_ENV": "development", "MONGODB_URL": mongo.url + "bench_writes", "REDIS_URL": redis.url,
                          "JWT_SECRET": JWT_SECRET, "MAIL_BACKEND": "outbox",
                          "PC_PLUGINS": ["marketplace", "payments"] if options.writes == "holds" else ["marketplace"],
                          "LOG_LEVEL": "WARNING", "MONGODB_EVENT_LISTENERS": [counter]})
        with app.app_context():
            from pc_app.auth import issue_tokens
            from pc_app.core.models import Lead, User
            from pc_app.core.partners.services import create_partner
            from pc_app.db import ensure_indexes
            from plugins.marketplace.browse import listings_changed
            from plugins.marketplace.models import Listing

            ensure_indexes(app.extensions["pc_models"])
            icp = {"industries": ["saas"], "countries": ["US", "GB"], "job_titles": ["sales"], "seniorities": ["vp"]}
            buyer = str(create_partner("Bench Buyer", status="active", icp=icp).id)
            seller = str(create_partner("Bench Seller", status="active").id)
            other = str(create_partner("Bench Other", status="active").id)
            user = User(email="owner@writes.bench", name="Owner", partner=buyer, is_partner_owner=True).save()
            headers = {"Authorization": f"Bearer {issue_tokens(user)['accessToken']}"}
            leads = Lead._get_collection()
            # The browse benchmark's documents: listings, and a partner's leads as the leads behind listings.
            start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
            rng = random.Random(7)
            for partner in (buyer, other):
                rows = seller_lead_docs(listing_docs(rng, options.leads, [partner], start))
                for at in range(0, len(rows), 1000):
                    leads.insert_many(rows[at:at + 1000], ordered=False)
            rows = listing_docs(rng, options.listings, [seller], start)
            for at in range(0, len(rows), 1000):
                Listing._get_collection().insert_many(rows[at:at + 1000], ordered=False)
            listings_changed()
            other_leads = [str(row["_id"]) for row in leads.find({"partner": other}, {"_id": 1}).limit(200)]
            listing_ids = [str(row["_id"]) for row in rows]
            listing_leads = {str(row["_id"]): str(row["lead"]) for row in rows}
        rng.shuffle(listing_ids)

        def edit_lead(n: int) -> None:
            from pc_app.core.leads.services import update_lead

            update_lead(Lead.objects(id=other_leads[n % len(other_leads)]).first(), {"company": f"Edited {n}"}, "system")

        def reserve(n: int) -> None:
            from plugins.marketplace.services import mark_reserved

            mark_reserved(listing_ids.pop(), other)

        made = itertools.count()

        def list_new_lead(n: int) -> None:
            from pc_app.core.leads.services import create_lead
            from pc_app.core.models import Partner
            from plugins.marketplace.services import list_lead

            n = next(made)  # across the rates: each new lead its own e-mail
            lead = create_lead(seller, {"first_name": "New", "email": f"new-{n}@listed.bench", "job_title": TITLES[n % 5],
                                        "seniority": "vp", "industry": "saas", "country": "US"}, "system")
            list_lead(Partner.objects(id=seller).first(), lead, 5000, SYSTEM)

        held: list = []

        def hold(n: int) -> None:
            from plugins.payments.services import reservations

            held.append(reservations.reserve(Partner.objects(id=other).first(), None, listing_leads[listing_ids.pop()],
                                             SYSTEM))
            if len(held) > 1:
                reservations.cancel(other, held.pop(0).id, SYSTEM)

        if options.writes == "holds":
            from pc_app.core.models import Partner
            from plugins.payments.services import reservations

            with app.app_context():  # the buyer's own holds, for its reservations list
                for _ in range(3):
                    reservations.reserve(Partner.objects(id=buyer).first(), str(user.id),
                                         listing_leads[listing_ids.pop()], SYSTEM)
            LISTS["reservations"] = "/v1/marketplace/reservations?perPage=25"
        write = {"reservations": reserve, "listings": list_new_lead, "holds": hold}.get(options.writes, edit_lead)
        what = {"reservations": "another partner reserves the seller's listings",
                "listings": "the seller lists new leads",
                "holds": "another partner reserves the seller's listings and cancels its previous hold"}.get(
            options.writes, "another partner edits its leads")
        print(f"the buyer's lists while {what}; {options.leads} leads each, "
              f"{options.listings} listings; a request every {INTERVAL_SECONDS * 1000:.0f} ms per list for "
              f"{options.seconds:.0f} s; in process; nx-27017 + Redis on this machine")
        print(f"{'writes/s':>8} {'written':>7} {'list':<12} {'requests':>8} {'trips/req':>9} {'none':>6} "
              f"{'p50 ms':>7} {'p95 ms':>7}")
        for rate in rates:
            result = measure(app, headers, counter, write, rate, options.seconds)
            for name, found in result["lists"].items():
                trips, ms = found["trips"], found["ms"]
                print(f"{rate:>8.0f} {result['written']:>7} {name:<12} {len(trips):>8} "
                      f"{sum(trips) / len(trips):>9.2f} {sum(1 for t in trips if t == 0) / len(trips):>6.0%} "
                      f"{percentile(ms, 0.5):>7.1f} {percentile(ms, 0.95):>7.1f}")
        return 0


if __name__ == "__main__":
    sys.exit(main())
