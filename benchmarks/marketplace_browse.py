"""Benchmark of marketplace browse: requests/s, p50/p95 and database round trips at growing sizes.

Usage: python benchmarks/marketplace_browse.py [SIZE ...] [--concurrent 50] [--seconds 20]
       (sizes default to 1000 10000 100000)

Starts its own MongoDB wire server (nx-27017) and Redis through pc_app.devstack, seeds listings
with insert_many (each with its seller's lead, as in use: the leads collection grows with the
marketplace) and 50 buyers with varied ICPs, then has each buyer browse (25 per page)
by ICP score (the default): page 1 on a first visit in this listings version (nothing learnt
yet), page 1 again, page 2, page 50 on a first visit; and, for contrast, by newest, pages 1
and 50. Requests go through the app in process (Flask test client: no HTTP server, so the
figures are app + database); browse by score keeps what it learns in Redis per listings
version (plugins/marketplace/README.md), which is why first visits and repeats differ. Round
trips are counted per request, and apart those that read the signed-in user and partner (kept in
Redis for AUTH_STATE_CACHE_SECONDS, so read on a buyer's first request of the run; browse reads
the buyer's owned e-mails in that same round trip, ``reads_along``); "most own" is
the largest number of browse's own round trips (the auth read left out) any one request made. Each
measurement is bounded by time and by count; a size whose seeding or first request would not
fit the budget is reported as skipped, never hung on. nx-27017 is SQLite behind the wire
protocol: read the figures as this machine's stand-in, not as MongoDB's.

After the sizes, at the largest size seeded, the app runs under gunicorn (2 workers on
127.0.0.1, the deploy's threads per worker unless --gunicorn-threads says otherwise) and
--concurrent buyers (threads, each with its own token and ICP) browse by score (pages 1-3)
on kept-alive connections, then with a connection per request, then /healthz is loaded the
same two ways, each phase for a third of --seconds, split in 3 turns taken in rotation (so a
drift of this machine falls on every phase alike): p50/p95, requests/s, the ratios
browse/healthz of the same gunicorn in the same run (kept-alive to kept-alive, a connection each
to a connection each), and the CPU each process (app, nx-27017, Redis, the load generator)
spent per request. The load generator is one asyncio
loop speaking plain HTTP/1.1 (benchmarks/leads_list.py), so it takes little from the server.
"""
from __future__ import annotations

import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pc_app import create_app  # noqa: E402
from pc_app.core import vocabulary as v  # noqa: E402
from pc_app.db import new_id  # noqa: E402
from pc_app.testing import CommandCounter  # noqa: E402
from plugins.marketplace.browse import listings_changed  # noqa: E402
from measuring import local_services, percentile, positive  # noqa: E402  (benchmarks/measuring.py)

BUYERS = 50
SELLERS = 20
LEADS_PER_BUYER = 20
PER_PAGE = 25
MEASURE_SECONDS = 8.0     # per (size, page) measurement
MAX_REQUESTS = BUYERS      # per (size, page) measurement: each buyer once
SEED_BUDGET_SECONDS = 240  # refuse a size whose seeding is estimated to take longer
BATCH = 1000
JWT_SECRET = "benchmark-secret-" + "x" * 32

COUNTRIES = ["US", "GB", "DE", "FR", "CA", "AU", "NL", "ES"]
TITLES = ["VP of Sales", "Head of Marketing", "CTO", "Chief Revenue Officer", "Sales Manager",
          "Procurement Director", "Software Engineer", "Operations Lead"]


def random_icp(rng: random.Random) -> dict:
    """Varied ICPs: some empty criteria, some broad, some narrow; a few buyers have none at all."""
    def some(values, max_n):
        return rng.sample(list(values), rng.randint(0, max_n))
    if rng.random() < 0.1:
        return {}
    return {"industries": some(v.INDUSTRIES, 4), "company_sizes": some(v.COMPANY_SIZES, 3),
            "countries": some(COUNTRIES, 3), "job_titles": some(["sales", "marketing", "revenue", "cto"], 2),
            "seniorities": some(v.SENIORITIES, 2)}


def listing_docs(rng: random.Random, n: int, sellers: list[str], start) -> list[dict]:
    import datetime as dt

    docs = []
    for i in range(n):
        lead = new_id()
        title = rng.choice(TITLES)
        seniority = rng.choice(v.SENIORITIES)
        created = start + dt.timedelta(seconds=i)
        docs.append({
            "_id": new_id(), "lead": lead, "seller": rng.choice(sellers), "open_key": lead,
            "price": rng.randrange(500, 200_000), "currency": "usd", "status": "listed",
            "industry": rng.choice(v.INDUSTRIES), "company_size": rng.choice(v.COMPANY_SIZES),
            "country": rng.choice(COUNTRIES), "job_title": title, "job_title_key": title.lower(),
            "seniority": seniority, "company": f"Company {rng.randrange(10_000)}",
            "first_name": "Alex", "masked_email": "a***@example.com", "masked_phone": "+1 (415) ***-0123",
            "fit_terms": [f"s:{seniority}", f"t:{title.lower()}"],
            "lead_created_at": created, "email": f"lead-{lead}@example.com", "view_count": 0,
            "unique_viewers": [], "listed_at": created, "created_at": created, "updated_at": created,
        })
    return docs


def seller_lead_docs(listings: list[dict]) -> list[dict]:
    """The sellers' own leads behind ``listings`` (a listing is made from a lead), so the leads
    collection grows with the marketplace as it does in use: the buyer's owned e-mails are read
    from it on every browse."""
    return [{"_id": row["lead"], "partner": row["seller"], "email": row["email"],
             "email_key": f"{row['seller']}:{row['email']}", "is_deleted": False, "first_name": row["first_name"],
             "last_name": "", "company": row["company"], "job_title": row["job_title"], "seniority": row["seniority"],
             "industry": row["industry"], "company_size": row["company_size"], "country": row["country"],
             "deal_amount": 0, "currency": "usd", "deal_status": "new", "notes": [], "source": "benchmark",
             "updated_by": "system", "created_at": row["created_at"], "updated_at": row["created_at"]}
            for row in listings]


# Collections a signed-in request reads to learn who is asking (kept in Redis for AUTH_STATE_CACHE_SECONDS).
AUTH_COLLECTIONS = {"users", "partners"}


def measure(client, headers: list[dict], page: int, counter: CommandCounter, sort: str = "score") -> dict:
    timings, commands, auth, most = [], 0, 0, 0
    deadline = time.monotonic() + MEASURE_SECONDS
    while len(timings) < MAX_REQUESTS and time.monotonic() < deadline:
        h = headers[len(timings) % len(headers)]
        with counter:
            t0 = time.perf_counter()
            response = client.get("/v1/marketplace/leads", headers=h,
                                  query_string={"page": page, "perPage": PER_PAGE, "sort": sort})
            timings.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.get_json()
        commands += counter.count
        # A command's first field names it, and its value the collection it reads.
        signed_in = sum(1 for sent in counter.sent if str(next(iter(sent.values()))) in AUTH_COLLECTIONS)
        auth += signed_in
        most = max(most, counter.count - signed_in)
    return {"n": len(timings), "rps": len(timings) / sum(timings), "p50": percentile(timings, 0.5) * 1000,
            "p95": percentile(timings, 0.95) * 1000, "trips": commands / len(timings), "auth": auth / len(timings),
            "most": most}


def concurrent_phase(mongo, redis, headers: list[dict], concurrent: int, seconds: float,
                     workdir: Path, threads: int = 1, workers: int = 2, rounds: int = 3) -> None:
    """Browse by score from ``concurrent`` buyers at once on gunicorn, then /healthz, in one run, each kept-alive
    and with a connection per request."""
    import os

    from leads_list import cpu_line, in_rounds, measure, ratios_by_round, start_gunicorn, stop

    # Each worker runs ``threads`` threads (the deploy's gthread has 48, for the event streams).
    env = {**os.environ, "PC_ENV": "development", "MONGODB_URL": mongo.url + "bench", "REDIS_URL": redis.url,
           "PC_PLUGINS": "marketplace", "JWT_SECRET": JWT_SECRET, "LOG_LEVEL": "WARNING", "WEB_CONCURRENCY": str(workers)}
    process, base = start_gunicorn(env, workers, workdir / "gunicorn.log", threads)
    processes = {"app": process.pid, "nx-27017": mongo.process.pid, "Redis": redis.process.pid}
    try:
        def browse_pages(i, n):
            return f"/v1/marketplace/leads?perPage={PER_PAGE}&page={1 + n % 3}", headers[i % len(headers)]

        # Browsers keep their connection alive, which ties each to the worker that accepted it; a
        # proxy without upstream keep-alive opens one per request, which goes to whichever worker
        # accepts first. Both are measured: on 2 workers the first can leave one worker the busier.
        def healthz(i, n):
            return "/healthz", {}

        phases = [("browse by score (pages 1-3)", browse_pages, True), ("  the same, a connection each", browse_pages, False),
                  ("/healthz", healthz, True), ("/healthz, a connection each", healthz, False)]
        results, each = in_rounds({name: lambda r=request_for, k=keep_alive: measure(
            base, r, seconds / 3 / rounds, concurrent, max_requests=None, processes=processes, keep_alive=k)
            for name, request_for, keep_alive in phases}, rounds)
        print(f"\ngunicorn ({workers} gthread workers, {threads} thread(s) each), {concurrent} concurrent clients, "
              f"{seconds / 3:.0f} s each in {rounds} turns:")
        print(f"{'endpoint':<34} {'reqs':>6} {'failed':>6} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8}")
        for name, r in results.items():
            print(f"{name:<34} {r['requests']:>6} {r['failed']:>6} {r['rps']:>7.1f} {r['p50']:>8.1f} {r['p95']:>8.1f}")
        for name, r in results.items():
            print(f"{name:<34} {cpu_line(r)}")
        # Like with like: a connection per request costs /healthz its connection too.
        browse, browse_closing, health, health_closing = (results[name]["rps"] for name in results)
        print(f"browse / healthz throughput: {browse / health:.2f} kept-alive, {browse_closing / health_closing:.2f} "
              f"a connection each ({browse_closing / health:.2f} against /healthz kept-alive)")
        names = [name for name, _request_for, _keep_alive in phases]
        print(f"  in each of {rounds} rounds: kept-alive {ratios_by_round(each, names[0], names[2])}; "
              f"a connection each {ratios_by_round(each, names[1], names[3])}")
    finally:
        stop(process)


def main(argv: list[str]) -> int:
    import argparse
    import datetime as dt

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=positive(int))
    parser.add_argument("--concurrent", type=positive(int), default=50)
    parser.add_argument("--seconds", type=positive(float), default=20.0)
    parser.add_argument("--gunicorn-threads", type=positive(int), default=None,
                        help="threads per gunicorn worker (default: the deploy's, gunicorn.conf.py)")
    parser.add_argument("--gunicorn-workers", type=positive(int), default=2, help="gunicorn worker processes (deploy: 2 per pod)")
    options = parser.parse_args(argv)
    if options.gunicorn_threads is None:
        from leads_list import deploy_threads

        options.gunicorn_threads = deploy_threads()
    sizes = sorted(options.sizes) or [1_000, 10_000, 100_000]
    counter = CommandCounter()
    with local_services("browse") as (mongo, redis, workdir):
        app = create_app({"PC_ENV": "development", "MONGODB_URL": mongo.url + "bench", "JWT_SECRET": JWT_SECRET,
                          "REDIS_URL": redis.url, "PC_PLUGINS": ["marketplace"], "MAIL_BACKEND": "outbox",
                          "MONGODB_EVENT_LISTENERS": [counter], "CORS_ORIGINS": ["http://localhost:3001"]})
        rng = random.Random(42)
        with app.app_context():
            from pc_app.auth import issue_tokens
            from pc_app.core.leads.services import create_lead
            from pc_app.core.models import Lead, User
            from pc_app.core.partners.services import create_partner
            from pc_app.db import ensure_indexes
            from plugins.marketplace.models import Listing

            ensure_indexes(app.extensions["pc_models"])
            sellers = [str(create_partner(f"Seller {i}", status="active").id) for i in range(SELLERS)]
            headers = []
            for i in range(BUYERS):
                partner = create_partner(f"Buyer {i}", status="active", icp=random_icp(rng))
                user = User(email=f"buyer{i}@bench.test", name=f"Buyer {i}", partner=partner.id,
                            is_partner_owner=True).save()
                headers.append({"Authorization": f"Bearer {issue_tokens(user)['accessToken']}"})
                for j in range(LEADS_PER_BUYER):
                    create_lead(partner.id, {"first_name": "Own", "email": f"own{i}-{j}@example.com"}, "system")
            collection = Listing._get_collection()
            leads = Lead._get_collection()

        print(f"marketplace browse benchmark: {BUYERS} buyers with varied ICPs, {SELLERS} sellers, "
              f"{PER_PAGE} per page; nx-27017 + Redis on this machine, in-process client")
        print(f"each measurement: at most {MAX_REQUESTS} requests or {MEASURE_SECONDS:.0f} s")
        print(f"{'listings':>9} {'sort':>6} {'page':>4} {'visit':>6} {'reqs':>5} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} "
              f"{'trips/req':>9} {'of them auth':>12} {'most own':>8}")
        client = app.test_client()
        seeded, insert_rate = 0, None
        start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        for size in sizes:
            missing = size - seeded
            if insert_rate and missing / insert_rate > SEED_BUDGET_SECONDS:
                print(f"{size:>9}  skipped: seeding {missing} more listings would take about "
                      f"{missing / insert_rate:.0f} s at the measured {insert_rate:.0f} inserts/s "
                      f"(budget {SEED_BUDGET_SECONDS} s)")
                continue
            t0 = time.perf_counter()
            with app.app_context():
                while seeded < size:
                    n = min(BATCH, size - seeded)
                    rows = listing_docs(rng, n, sellers, start + dt.timedelta(days=seeded))
                    collection.insert_many(rows, ordered=False)
                    leads.insert_many(seller_lead_docs(rows), ordered=False)
                    seeded += n
            if missing:
                insert_rate = missing / (time.perf_counter() - t0)
                with app.app_context():
                    listings_changed()  # seeded behind the services' back: cached pattern counts are stale
            client.get("/v1/marketplace/leads", headers=headers[0], query_string={"sort": "newest"})  # warm up
            too_slow: set = set()
            # Each buyer once per row: "first" is a buyer's first browse in this listings version (nothing
            # learnt yet), "again" the same request once more, "next" the following page.
            for sort, page, visit in (("score", 1, "first"), ("score", 1, "again"), ("score", 2, "next"),
                                      ("score", 50, "first"), ("newest", 1, ""), ("newest", 50, "")):
                if sort in too_slow:
                    print(f"{size:>9} {sort:>6} {page:>4}  skipped: page 1 was already over the budget")
                    continue
                r = measure(client, headers, page, counter, sort)
                if r["n"] == 1 and r["p50"] > MEASURE_SECONDS * 1000:
                    too_slow.add(sort)
                    print(f"{size:>9} {sort:>6} {page:>4}  skipped: one browse took {r['p50'] / 1000:.1f} s "
                          f"(over the {MEASURE_SECONDS:.0f} s budget)")
                    continue
                note = "  (too few requests in the budget for a real p95)" if r["n"] < 5 else ""
                print(f"{size:>9} {sort:>6} {page:>4} {visit:>6} {r['n']:>5} {r['rps']:>7.1f} {r['p50']:>8.1f} "
                      f"{r['p95']:>8.1f} {r['trips']:>9.1f} {r['auth']:>12.1f} {r['most']:>8}{note}")
            sys.stdout.flush()
        if insert_rate:
            print(f"seeding rate (insert_many, batches of {BATCH}): {insert_rate:.0f} listings/s")
        if seeded and options.concurrent:
            print(f"(concurrent phase at {seeded:,} listings)")
            concurrent_phase(mongo, redis, headers, options.concurrent, options.seconds, workdir,
                             options.gunicorn_threads, options.gunicorn_workers)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
