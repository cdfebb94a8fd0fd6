"""Pytest plugin for the core and every plugin: real services, a clean database, actors.

Services start once per session on free ports (the MongoDB wire server and Redis), in each test
process under pytest-xdist; each test gets a fresh app on an emptied database and Redis. Set
``PC_TEST_MONGODB_URL`` / ``PC_TEST_REDIS_URL`` to run the suite (with ``-n 0``) against servers you
already have.
"""
from __future__ import annotations

import os
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from pymongo import monitoring

from . import devstack

TEST_PASSWORD = "Correct-Horse-Battery-9"
TEST_DB = "pc_test"


class CommandCounter(monitoring.CommandListener):
    """Counts the database commands sent while it is recording (``with counter:``)."""

    IGNORED = {"ismaster", "isMaster", "hello", "ping", "endSessions", "saslStart", "saslContinue",
               "buildInfo", "getnonce"}

    def __init__(self):
        self.recording = False
        self.commands: list[str] = []
        self.sent: list[dict] = []  # the commands themselves, in the same order

    def __enter__(self):
        self.commands, self.sent = [], []
        self.recording = True
        return self

    def __exit__(self, *exc):
        self.recording = False

    @property
    def count(self) -> int:
        return len(self.commands)

    def started(self, event):
        if self.recording and event.command_name not in self.IGNORED:
            self.commands.append(event.command_name)
            self.sent.append(dict(event.command))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


_command_counter = CommandCounter()


class RedisCommands:
    """The commands a Redis server ran, by name, while the block ran (``with RedisCommands(redis) as seen:``).

    Counted by the server (``INFO commandstats``), so every client of the app is seen; the
    counter's own ``INFO`` calls are left out. Only meaningful while nothing else uses that Redis.
    """

    def __init__(self, redis):
        self.redis = redis
        self.calls: dict[str, int] = {}

    def _stats(self) -> dict[str, int]:
        return {name.removeprefix("cmdstat_"): int(stat["calls"]) for name, stat in self.redis.info("commandstats").items()}

    def __enter__(self):
        self._before = self._stats()
        return self

    def __exit__(self, *exc):
        after = self._stats()
        after["info"] = after.get("info", 0) - 1  # the INFO that took ``_before``
        self.calls = {name: n - self._before.get(name, 0) for name, n in after.items() if n > self._before.get(name, 0)}


class _Hold:
    """One rule of ``DatabaseLatency``: which command to hold, when, and how."""

    def __init__(self, command: str, collection: str, when: str, parties: int | None, seconds: float):
        if when not in ("before", "after"):
            raise ValueError("when is 'before' (the command starts) or 'after' (it succeeded)")
        self.command, self.collection, self.when = command, collection, when
        self.parties, self.seconds = parties, seconds
        self.arrived = 0
        self.condition = threading.Condition()

    def matches(self, command: str, collection: str | None, when: str) -> bool:
        return (self.when == when and self.command.lower() == command.lower()
                and self.collection == collection)

    @property
    def met(self) -> bool:
        """A rendezvous is met once ``parties`` threads arrived; a plain delay once anything matched."""
        return self.arrived >= (self.parties or 1)

    def wait(self) -> None:
        with self.condition:
            self.arrived += 1
        if self.parties is None:
            time.sleep(self.seconds)
            return
        with self.condition:
            if self.arrived >= self.parties:
                self.condition.notify_all()
                return
            # ``seconds`` bounds the wait: a guard that stops racers from reading must not hang the test.
            self.condition.wait_for(lambda: self.arrived >= self.parties, timeout=self.seconds)


class DatabaseLatency(monitoring.CommandListener):
    """Holds chosen database commands so that racing threads overlap on purpose.

    A race test starts its racers at a barrier, then makes every racer read before any of
    them writes, so that removing the guard (a conditional update, a unique index) fails the
    test on every run instead of now and then::

        db_latency.rendezvous("find", "partners", parties=2)   # both racers read first
        db_latency.delay("findAndModify", "marketplace_listings", 0.2, when="before")

    It works on the wire (pymongo's command monitoring, registered through the app's
    ``MONGODB_EVENT_LISTENERS``), so no SDK is patched. pymongo calls listeners in the thread
    that runs the command, which is the thread that is held.
    """

    def __init__(self):
        self._holds: list[_Hold] = []
        self._collections: dict = {}
        self._lock = threading.Lock()

    def rendezvous(self, command: str, collection: str, parties: int, *, when: str = "after",
                   timeout: float = 5.0) -> _Hold:
        """The first ``parties`` matching commands wait for each other (at most ``timeout`` seconds)."""
        hold = _Hold(command, collection, when, parties, timeout)
        self._holds.append(hold)
        return hold

    def delay(self, command: str, collection: str, seconds: float, *, when: str = "after") -> _Hold:
        """Every matching command sleeps ``seconds`` before it starts or after it succeeded."""
        hold = _Hold(command, collection, when, None, seconds)
        self._holds.append(hold)
        return hold

    def clear(self) -> None:
        self._holds = []
        with self._lock:
            self._collections.clear()

    def _hold(self, command: str, collection: str | None, when: str) -> None:
        for hold in list(self._holds):
            if hold.matches(command, collection, when):
                hold.wait()

    def started(self, event):
        if not self._holds:
            return
        collection = event.command.get(event.command_name)
        collection = collection if isinstance(collection, str) else None
        with self._lock:
            self._collections[(event.request_id, event.connection_id)] = collection
        self._hold(event.command_name, collection, "before")

    def succeeded(self, event):
        if not self._holds:
            return
        with self._lock:
            collection = self._collections.pop((event.request_id, event.connection_id), None)
        self._hold(event.command_name, collection, "after")

    def failed(self, event):
        with self._lock:
            self._collections.pop((event.request_id, event.connection_id), None)


_database_latency = DatabaseLatency()


@dataclass
class Services:
    mongodb_url: str
    redis_url: str
    workdir: Path


def pytest_configure(config):
    """Refuse test processes (``-n``) that would share servers given by ``PC_TEST_*_URL``.

    Each pytest-xdist worker starts its own services, so workers never see each other's data;
    servers already running are one for all of them, and a test of one worker would empty the
    database under a test of another.
    """
    shared = sorted(name for name in os.environ if name.startswith("PC_TEST_") and name.endswith("_URL"))
    if shared and (config.getoption("numprocesses", None) or 0):
        raise pytest.UsageError(f"{', '.join(shared)}: servers every test process would share; "
                                "run with -n 0 (make test TEST_WORKERS=0).")


@pytest.fixture(scope="session")
def pc_services():
    """The MongoDB wire server and Redis, started once for the whole session."""
    workdir = Path(tempfile.mkdtemp(prefix="pc-test-"))
    started = []
    mongo_url = os.environ.get("PC_TEST_MONGODB_URL")
    redis_url = os.environ.get("PC_TEST_REDIS_URL")
    if not mongo_url:
        service = devstack.start_mongo(workdir)
        started.append(service)
        mongo_url = service.url
    if not redis_url:
        service = devstack.start_redis(workdir)
        started.append(service)
        redis_url = service.url
    yield Services(mongo_url, redis_url, workdir)
    for service in started:
        service.stop()


@pytest.fixture(scope="session")
def db_commands():
    """A pymongo listener: ``with db_commands: client.get(...)`` then ``db_commands.count``."""
    return _command_counter


@pytest.fixture
def db_latency():
    """Hold chosen database commands so racers overlap (see ``DatabaseLatency``); cleared after the test."""
    _database_latency.clear()
    yield _database_latency
    _database_latency.clear()


@pytest.fixture
def app_config(pc_services) -> dict:
    """Settings for the app under test; override this fixture (or update it) to change them."""
    return {
        "PC_ENV": "development",
        "MONGODB_URL": pc_services.mongodb_url,
        "MONGODB_DB": TEST_DB,
        "REDIS_URL": pc_services.redis_url,
        "FRONTEND_URL": "http://frontend.test",
        "MAIL_BACKEND": "outbox",
        "MONGODB_EVENT_LISTENERS": [_command_counter, _database_latency],
        "TESTING": True,
    }


_indexed: set = set()


def reset_state(app) -> None:
    """Empty every collection (indexes stay) and Redis: each test starts from nothing."""
    from .db import database, ensure_indexes
    from .redis_client import get_redis

    with app.app_context():
        db = database()
        for name in db.list_collection_names():
            if not name.startswith("system."):
                db[name].delete_many({})
        missing = [m for m in app.extensions["pc_models"] if m not in _indexed]
        ensure_indexes(missing)
        _indexed.update(missing)
        get_redis(app).flushdb()


@pytest.fixture
def app(app_config):
    """A fresh app on a clean database."""
    from . import create_app

    application = create_app(dict(app_config))
    reset_state(application)
    yield application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def app_ctx(app):
    """An app context for tests that call services directly."""
    with app.app_context():
        yield app


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Actor:
    """A signed-in person for tests: the user, their partner (if any) and request headers."""
    user: object
    partner: object | None
    headers: dict
    password: str = TEST_PASSWORD

    @property
    def id(self) -> str:
        return str(self.user.id)

    @property
    def partner_id(self) -> str | None:
        return str(self.partner.id) if self.partner is not None else None


_password_hash_cache: dict = {}


class ActorFactory:
    """Creates partners and users straight in the database and signs them in."""

    def __init__(self, app):
        self.app = app
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def _hash(self) -> str:
        if TEST_PASSWORD not in _password_hash_cache:
            from .core.passwords import hash_password
            _password_hash_cache[TEST_PASSWORD] = hash_password(TEST_PASSWORD)
        return _password_hash_cache[TEST_PASSWORD]

    def token_for(self, user) -> dict:
        from .auth import issue_tokens

        with self.app.app_context():
            return issue_tokens(user)

    def user(self, *, role="user", partner=None, is_partner_owner=False, email=None, name=None,
             is_active=True) -> Actor:
        from .core.models import User

        n = self._next()
        with self.app.app_context():
            user = User(email=email or f"{role}{n}@example.test", name=name or f"Test {role.title()} {n}",
                        role=role, partner=partner.id if partner is not None else None,
                        is_partner_owner=is_partner_owner, is_active=is_active,
                        password_hash=self._hash()).save()
        return Actor(user, partner, bearer(self.token_for(user)["accessToken"]))

    def partner(self, *, status="active", name=None, icp=None, is_platform=False):
        from .core.partners.services import create_partner

        with self.app.app_context():
            return create_partner(name or f"Partner {self._next()}", status=status, icp=icp,
                                  is_platform=is_platform)

    def owner(self) -> Actor:
        return self.user(role="owner")

    def admin(self) -> Actor:
        return self.user(role="admin")

    def partner_owner(self, partner=None, **partner_kwargs) -> Actor:
        partner = partner or self.partner(**partner_kwargs)
        return self.user(partner=partner, is_partner_owner=True)

    def member(self, partner) -> Actor:
        return self.user(partner=partner)


@pytest.fixture
def actors(app) -> ActorFactory:
    return ActorFactory(app)


def _counting_worker_class():
    from rq import SimpleWorker

    class CountingWorker(SimpleWorker):
        """RQ keeps its job counters in Redis only; this one counts what it executed itself."""
        executed = 0

        def execute_job(self, job, queue):
            self.executed += 1
            return super().execute_job(job, queue)

    return CountingWorker


EVENT_RECORDER = {"event_recorder": "pc_app.testing_plugins.event_recorder"}


class RecordedEvents(list):
    """Events in the order they were emitted."""

    @property
    def names(self) -> list[str]:
        return [event.name for event in self]

    def named(self, name: str) -> list:
        return [event for event in self if event.name == name]


@pytest.fixture
def events(app) -> RecordedEvents:
    """What the app emits during the test; enable it with ``PC_EXTRA_PLUGINS: EVENT_RECORDER``."""
    recorded = RecordedEvents()
    app.extensions["recorded_events"] = recorded
    return recorded


def write_plugin_distribution(root: Path, name: str, *, version: str = "1.0.0", plugin_source: str = "",
                              requires: dict | None = None) -> str:
    """Lay out a plugin as an installed distribution under ``root`` (package, dist-info, entry point).

    Prepend ``root`` to ``sys.path`` and ``importlib.metadata`` finds it exactly like a plugin
    installed with pip. Returns the package name, ``pc_<name>_plugin``.
    """
    package_name = f"pc_{name}_plugin"
    package = root / package_name
    package.mkdir()
    (package / "__init__.py").write_text(
        f'"""The {name} plugin, shipped as its own distribution."""\n'
        f"NAME = {name!r}\n__version__ = {version!r}\nREQUIRES = {requires or {'pc_app': '>=1,<2'}!r}\n")
    (package / "plugin.py").write_text(plugin_source or f'"""Hook implementations of the {name} plugin."""\n')
    dist_info = root / f"{package_name}-{version}.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package_name.replace('_', '-')}\n"
                                        f"Version: {version}\n")
    (dist_info / "entry_points.txt").write_text(f"[pc_app.plugins]\n{name} = {package_name}.plugin\n")
    (dist_info / "top_level.txt").write_text(f"{package_name}\n")
    return package_name


# The fuzzer lives in its own module; tests import it from the kit.
from .fuzzing import ERROR_KEYS, FuzzReport, FuzzStack, fuzz_api  # noqa: E402,F401


def core_fuzz_stack(app, actors, actor) -> FuzzStack:
    """Records of the core for ``actor`` to reach: its partner, a colleague, leads, an import, a mail, links.

    Platform staff get a partner of their own choosing (a fresh one) in every partner slot.
    Plugins' tests add their own records (``add_ids``, ``add_body``, ``sign``).
    """
    import datetime as dt

    from .auth import issue_tokens
    from .core.leads.services import create_lead
    from .core.models import LeadImport
    from .core.tokens import issue_token
    from .core.users.services import INVITE_PURPOSE
    from .mail import OutboxMessage
    partner = actor.partner or actors.partner(icp={"industries": ["saas"], "countries": ["US"]})
    colleague = actors.member(partner)
    stack = FuzzStack()
    with app.app_context():
        leads = [create_lead(str(partner.id), {"first_name": f"Fuzz {n}", "email": f"fuzz{n}@lead.example",
                                               "company": "Fuzz Inc", "industry": "saas", "country": "US"},
                             "system") for n in range(4)]
        record = LeadImport(partner=str(partner.id), created_by="system", status="completed", total_rows=1,
                            processed_rows=1, imported=1).save()
        message = OutboxMessage(to="someone@example.test", subject="Hello", text="Hello", html="<p>Hello</p>",
                                tags=[], sent_at=dt.datetime.now(dt.timezone.utc)).save()
        links = [issue_token(colleague.user.id, INVITE_PURPOSE, dt.timedelta(hours=1), replace=False)
                 for _ in range(3)]
    stack.add_ids("partner_id", partner.id)
    stack.add_ids("user_id", colleague.id)
    stack.add_ids("lead_id", *(lead.id for lead in leads))
    stack.add_ids("import_id", record.id)
    stack.add_ids("message_id", message.id)
    stack.add_body("POST /v1/auth/sign-in", {"email": actor.user.email, "password": TEST_PASSWORD},
                   {"email": colleague.user.email, "password": TEST_PASSWORD})
    stack.add_body("POST /v1/auth/reset-password", *({"token": link} for link in links))
    stack.add_body("POST /v1/leads/import", {"file": b"firstName,email,dealAmount\nAda,ada@lead.example,5000\n"})
    # Each sign-in verifies an argon2 hash (a dummy one for unknown addresses): a few attempts say enough.
    stack.examples["POST /v1/auth/sign-in"] = 4
    # Sign-out ends the session it is called with: give it a session of its own each time.
    stack.fresh_headers["POST /v1/auth/sign-out"] = lambda: bearer(actors.token_for(actor.user)["accessToken"])

    def refresh_headers():
        with app.app_context():
            return bearer(issue_tokens(actor.user)["refreshToken"])
    stack.fresh_headers["POST /v1/auth/refresh"] = refresh_headers
    return stack


def run_jobs(app, queues=None) -> int:
    """Run queued jobs with a real RQ worker in burst mode, in this process; returns how many ran."""
    from .jobs import QUEUES, get_queue

    _CountingWorker = _counting_worker_class()
    with app.app_context():
        queue_objs = [get_queue(name) for name in (queues or QUEUES)]
        worker = _CountingWorker(queue_objs, connection=queue_objs[0].connection)
        worker.work(burst=True, logging_level="WARNING", with_scheduler=False)
        return worker.executed


@pytest.fixture
def jobs(app):
    """``jobs.run()`` runs what is queued with a real worker; ``jobs.queued(name)`` lists job ids."""

    class Jobs:
        def run(self, queues=None) -> int:
            return run_jobs(app, queues)

        def queued(self, queue="default") -> list:
            from .jobs import get_queue
            with app.app_context():
                return get_queue(queue).get_jobs()

    return Jobs()


def answer_and_cost(app, db_commands, send) -> dict:
    """What a public request reveals before its work is done: its answer, and what it cost.

    ``send(client)`` makes the request from a fresh Redis (so rate-limit headers start alike).
    Returns the status, body and headers (less the request id and the limit's reset second),
    the database commands it sent and the jobs it queued: two requests that must not be told
    apart (a known and an unknown e-mail) return equal dicts.
    """
    from .jobs import QUEUES, get_queue
    from .redis_client import get_redis

    with app.app_context():
        get_redis(app).flushdb()
    with db_commands:
        response = send(app.test_client())
    with app.app_context():
        queued = {name: [job.description for job in get_queue(name).get_jobs()] for name in QUEUES}
    skipped = {"x-request-id", "x-ratelimit-reset"}
    return {"status": response.status_code, "body": response.get_data(),
            "headers": sorted((k, v) for k, v in response.headers.items() if k.lower() not in skipped),
            "database commands": list(db_commands.commands),
            "jobs queued": {name: jobs for name, jobs in queued.items() if jobs}}


def read_outbox(app) -> list:
    """Deliver queued mail with a real worker, then return the outbox newest first."""
    from .mail import OutboxMessage

    run_jobs(app, ["mail"])
    with app.app_context():
        return [m.as_dict() for m in OutboxMessage.objects.order_by("-sent_at", "-id")]


def metric_samples(exposition: str, name: str) -> list[tuple[dict, float]]:
    """The samples named ``name`` of a Prometheus text exposition, as ``(labels, value)``."""
    from prometheus_client.parser import text_string_to_metric_families

    return [(sample.labels, sample.value) for family in text_string_to_metric_families(exposition)
            for sample in family.samples if sample.name == name]


def sample_value(exposition: str, name: str, **labels) -> float:
    """The value of one series of a Prometheus text exposition (0 when absent)."""
    return next((value for found, value in metric_samples(exposition, name) if found == labels), 0.0)


def scrape_metrics(app) -> str:
    """``GET /metrics`` as a scrape sees it, with a token of its own."""
    token = "test-kit-metrics-token-0123456789"
    app.config["METRICS_TOKEN"] = token
    response = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.mimetype == "text/plain", response.status_code
    return response.get_data(as_text=True)


def metric_value(app, name: str, **labels) -> float:
    """One sample of ``GET /metrics`` as a scrape sees it (0 when absent)."""
    return sample_value(scrape_metrics(app), name, **labels)


@pytest.fixture
def outbox(app):
    """``outbox()`` delivers pending mail and returns every message, newest first."""
    return lambda: read_outbox(app)


def _sandbox_fixture(spec):
    """The session fixture ``<name>_sandbox`` for one stand-in of ``pc_app.sandboxes.SANDBOXES``."""

    def running_sandbox():
        url = os.environ.get(f"PC_TEST_{spec.name.upper()}_SANDBOX_URL")
        service = None
        if not url:
            service = spec.start(Path(tempfile.mkdtemp(prefix=f"pc-{spec.name}-sandbox-")))
            url = service.url
        yield spec.handle(url, service.options if service is not None else {})
        if service is not None:
            service.stop()

    running_sandbox.__doc__ = (
        f"The {spec.label}, one process per session (``PC_TEST_{spec.name.upper()}_SANDBOX_URL`` reuses one "
        "already running): ``.base_url``, ``.admin``, ``.app_settings`` (merge into ``app_config``), ``.reset()``.")
    return pytest.fixture(scope="session", name=f"{spec.name}_sandbox")(running_sandbox)


def _declare_sandbox_fixtures() -> None:
    from .sandboxes import SANDBOXES

    for spec in SANDBOXES.values():
        globals()[f"{spec.name}_sandbox"] = _sandbox_fixture(spec)


_declare_sandbox_fixtures()


@contextmanager
def database_unchanged(app, ignore: tuple[str, ...] = ()):
    """``with database_unchanged(app): <a refused request>``: fails naming each collection that changed.

    A refusal (403, 404, 409, 422...) must leave nothing half-written; asserting the status alone
    does not show that. Every collection is read before and after (test databases are small).
    """
    from .db import database

    def snapshot() -> dict:
        with app.app_context():
            db = database()
            return {name: sorted(db[name].find({}), key=lambda doc: str(doc.get("_id")))
                    for name in db.list_collection_names() if not name.startswith("system.") and name not in ignore}

    before = snapshot()
    yield
    after = snapshot()
    changed = sorted(name for name in set(before) | set(after) if before.get(name, []) != after.get(name, []))
    assert changed == [], f"the refused request changed {', '.join(changed)}"
