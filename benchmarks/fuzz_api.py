"""A long fuzz run: every operation of every installed plugin, many examples, both roles, all three modes.

Usage: python benchmarks/fuzz_api.py [EXAMPLES]   (default 25 per operation and mode)

``make test`` fuzzes with 3 examples per operation so the suite stays fast; this script runs the
same ``pc_app.testing.fuzz_api`` (every schemathesis check; hostile input) with many more, as the
platform owner and as a partner owner, on real records (``tests/e2e/fuzz_stack.py``: a connected
HubSpot portal, a listing, links, credentials). It starts its own MongoDB wire server, Redis and
HubSpot sandbox, prints every problem found, how many operations the handlers answered and the
time each run took. It asserts nothing: read the output.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pc_app import create_app, devstack  # noqa: E402
from pc_app.sandboxes import SANDBOXES  # noqa: E402
from pc_app.testing import ActorFactory, FuzzReport, fuzz_api, reset_state  # noqa: E402
from tests.e2e.fuzz_stack import every_plugin_fuzz_stack  # noqa: E402

REDIRECT_URI = "http://localhost/v1/integrations/hubspot/callback"


def app_config(mongo_url: str, redis_url: str, hubspot, stripe) -> dict:
    """The end-to-end tests' settings: every installed plugin, HubSpot and Stripe on the sandboxes, no rate limits."""
    return {"PC_ENV": "development", "MONGODB_URL": mongo_url, "MONGODB_DB": "pc_fuzz", "REDIS_URL": redis_url,
            "FRONTEND_URL": "http://frontend.test", "MAIL_BACKEND": "outbox", "TESTING": True,
            "ENCRYPTION_KEY": "3f" * 32, "HUBSPOT_REDIRECT_URI": REDIRECT_URI, "RATELIMIT_ENABLED": False,
            "LOG_LEVEL": "CRITICAL", "ACTIVITY_STREAM_MAX_SECONDS": 0.3,
            **hubspot.app_settings, **stripe.app_settings}


def run(config: dict, hubspot, stripe, role: str, mode: str, examples: int) -> None:
    app = create_app(dict(config))
    reset_state(app)
    actors = ActorFactory(app)
    actor = actors.owner() if role == "owner" else actors.partner_owner(icp={"industries": ["saas"]})
    stack = every_plugin_fuzz_stack(app, actors, actor, hubspot, stripe)
    report = FuzzReport()
    started = time.perf_counter()
    problems = fuzz_api(app, actor.headers, mode, examples=examples, stack=stack, report=report)
    seconds = time.perf_counter() - started
    requests = sum(len(statuses) for statuses in report.statuses.values())
    reached = sum(1 for label in report.statuses if report.reached(label))
    print(f"{role:13} {mode:8} {len(report.statuses):3} operations, {requests:5} requests, "
          f"{reached:3} reached a handler's decision, {len(problems):3} problems, {seconds:6.1f} s", flush=True)
    for problem in problems:
        print("    " + problem.replace("\n", "\n    "))


def main(argv: list[str]) -> None:
    examples = int(argv[0]) if argv else 25
    workdir = Path(tempfile.mkdtemp(prefix="pc-fuzz-bench-"))
    mongo, redis = devstack.start_mongo(workdir), devstack.start_redis(workdir)
    services, handles = [], {}
    for name in ("hubspot", "stripe"):
        spec = SANDBOXES[name]
        services.append(spec.start(workdir / name))
        handles[name] = spec.handle(services[-1].url, services[-1].options)
    hubspot, stripe = handles["hubspot"], handles["stripe"]
    print(f"fuzz_api, {examples} examples per operation and mode (hostile: every shape once)")
    try:
        config = app_config(mongo.url, redis.url, hubspot, stripe)
        for role in ("owner", "partner_owner"):
            for mode in ("positive", "negative", "hostile"):
                run(config, hubspot, stripe, role, mode, examples)
    finally:
        for service in services:
            service.stop()
        redis.stop()
        mongo.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
