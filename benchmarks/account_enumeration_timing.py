"""Benchmark: can the answer time of the public account routes tell a registered e-mail from a new one?

Usage: python benchmarks/account_enumeration_timing.py [--runs 20]

Starts its own MongoDB wire server (nx-27017) and Redis through pc_app.devstack, creates one
active user and one registration awaiting verification, then times --runs requests of each
public route that takes an e-mail (register-partner, resend-verification, forgot-password)
for a known and for an unknown address, interleaved, through the app in process (Flask test
client: app + Redis + database, no HTTP server). It prints the median and the spread of each
path and the difference of the medians; the decision jobs the requests queue are not run.
Results are printed, not asserted (the tests assert what can be counted: the same answer, no
database command and one queued job on either path).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pc_app import create_app  # noqa: E402
from measuring import local_services, positive  # noqa: E402  (benchmarks/measuring.py)

UNLIMITED = "1000000 per minute"
SIGN_UP = {"companyName": "Timing Co", "name": "Tim Ing", "website": "https://timing.example"}


def seed(app) -> dict:
    """An active user and an owner awaiting verification; returns the known address per route."""
    from pc_app.core.partners.services import create_partner
    from pc_app.core.users.services import create_user
    from pc_app.db import ensure_indexes

    with app.app_context():
        ensure_indexes(app.extensions["pc_models"])
        active = create_partner("Known Co", status="active")
        create_user("known@timing.example", "Known User", partner_id=active.id, password="Known-Passphrase-2026")
        pending = create_partner("Pending Co", status="pending_verification")
        create_user("pending@timing.example", "Pending Owner", partner_id=pending.id, is_partner_owner=True,
                    is_active=False)
    return {"register-partner": "known@timing.example", "resend-verification": "pending@timing.example",
            "forgot-password": "known@timing.example"}


def body_for(route: str, email: str) -> dict:
    return {**SIGN_UP, "email": email} if route == "register-partner" else {"email": email}


def time_route(client, route: str, known: str, runs: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    for i in range(runs):
        for kind in ("known", "unknown") if i % 2 == 0 else ("unknown", "known"):
            email = known if kind == "known" else f"new{i}@timing.example"
            began = time.perf_counter()
            response = client.post(f"/v1/auth/{route}", json=body_for(route, email))
            timings[kind].append((time.perf_counter() - began) * 1000)
            assert response.status_code == 202, response.get_json()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=positive(int), default=20)
    args = parser.parse_args()

    with local_services("timing") as (mongo, redis, workdir):
        app = create_app({"PC_ENV": "development", "MONGODB_URL": mongo.url + "pc_bench", "REDIS_URL": redis.url,
                          "LOG_LEVEL": "WARNING", "RATELIMIT_PUBLIC": UNLIMITED,
                          "REGISTRATION_RATELIMIT": UNLIMITED})
        known = seed(app)
        client = app.test_client()
        for route, email in known.items():  # warm up templates, scripts and connections
            client.post(f"/v1/auth/{route}", json=body_for(route, email))

        print(f"\nAnswer time of the public e-mail routes, medians of {args.runs} (in process, nx-27017 + Redis)\n")
        header = f"{'route':<22} {'known ms':>9} {'unknown ms':>11} {'difference':>11} {'known p10-p90':>15} " \
                 f"{'unknown p10-p90':>16}"
        print(header)
        print("-" * len(header))
        for route, email in known.items():
            t = time_route(client, route, email, args.runs)
            medians = {kind: statistics.median(values) for kind, values in t.items()}
            spread = {kind: statistics.quantiles(values, n=10) for kind, values in t.items()}
            print(f"{route:<22} {medians['known']:>9.2f} {medians['unknown']:>11.2f} "
                  f"{medians['known'] - medians['unknown']:>+11.2f} "
                  f"{spread['known'][0]:>7.2f}-{spread['known'][-1]:<7.2f} "
                  f"{spread['unknown'][0]:>8.2f}-{spread['unknown'][-1]:<7.2f}")


if __name__ == "__main__":
    main()
