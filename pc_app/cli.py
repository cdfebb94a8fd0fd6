"""The ``pc-app`` command line: the local stack, database set-up, the first owner, workers."""
from __future__ import annotations

import os
import secrets
import signal
import sys
import time
from pathlib import Path

import click

from ._version import __version__


def _app():
    from . import create_app

    return create_app()


class PcGroup(click.Group):
    """Adds the plugins' commands (``pc_register_commands``) when the group is built."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._plugins_loaded = False

    def _load_plugin_commands(self):
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        try:
            from .plugins import build_plugin_manager, call_hook

            enabled = [p.strip() for p in os.environ.get("PC_PLUGINS", "").split(",") if p.strip()]
            pm, _ = build_plugin_manager(enabled)
            call_hook(pm, "pc_register_commands", cli=self)
        except Exception as exc:  # a broken plugin must not hide the core commands
            click.echo(f"warning: plugin commands unavailable: {exc}", err=True)

    def list_commands(self, ctx):
        self._load_plugin_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx, name):
        # A core command (a liveness probe runs `pc-app health` every few seconds) loads no plugin.
        command = super().get_command(ctx, name)
        if command is None:
            self._load_plugin_commands()
            command = super().get_command(ctx, name)
        return command


@click.group(cls=PcGroup)
@click.version_option(__version__, "--version", "-V", prog_name="pc-app", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx):
    """Partner Connector operations."""
    if ctx.invoked_subcommand != "dev" and (os.environ.get("PC_ENV") or "development") == "development":
        # A second terminal beside `make dev` reaches the same services without exporting anything. Only in
        # development: a production or test command must never write to a dev stack with its sandbox keys.
        from .devstack import use_running_stack

        ctx.obj = use_running_stack()


def init_database(app) -> int:
    """Create the indexes of every enabled model, then run the plugins' data upgrades; returns how many collections."""
    from .db import ensure_indexes
    from .toolkit import call_hook

    with app.app_context():
        ensure_indexes(app.extensions["pc_models"])
        for _plugin, said in call_hook("pc_db_init", app=app):
            if said:
                click.echo(said)
    return len(app.extensions["pc_models"])


def seed_platform_owner(app) -> str:
    """Create the owner from INITIAL_OWNER_* once; returns a sentence saying what happened."""
    from .core.passwords import password_problems
    from .core.users.services import OwnerSeedConflict, seed_owner

    email, password = app.config["INITIAL_OWNER_EMAIL"], app.config["INITIAL_OWNER_PASSWORD"]
    if not password:
        raise click.ClickException("INITIAL_OWNER_PASSWORD is not set.")
    problems = password_problems(password, email)
    if problems:
        raise click.ClickException("INITIAL_OWNER_PASSWORD: " + " ".join(problems))
    with app.app_context():
        try:
            user, created = seed_owner(email, password, app.config["INITIAL_OWNER_NAME"])
        except OwnerSeedConflict as exc:
            raise click.ClickException(str(exc)) from None
    return f"owner {user.email} {'created' if created else 'already exists'}"


@cli.command("db-init")
def db_init():
    """Create every index the enabled plugins declare (safe to repeat)."""
    click.echo(f"indexes ensured for {init_database(_app())} collections")


@cli.command("seed-owner")
def seed_owner_command():
    """Create the platform owner from INITIAL_OWNER_EMAIL/PASSWORD/NAME (idempotent)."""
    click.echo(seed_platform_owner(_app()))


@cli.command("demo-data")
@click.option("--seed", default=2026, show_default=True, help="Same seed, same data.")
@click.option("--leads", default=200, show_default=True, help="How many leads, shared between the partners.")
@click.pass_context
def demo_data_command(ctx, seed, leads):
    """Fill the marketplace with demo partners, people, leads, listings, trades and a HubSpot sync (safe to repeat).

    Beside `make dev` it finds the stack's services (`.pc-dev/stack.json`) and drives its HubSpot and
    Stripe sandboxes; elsewhere it uses MONGODB_URL and REDIS_URL and makes what needs no sandbox.
    """
    from .demo_data import DEMO_PASSWORD, DemoStepFailed, check_lead_count, seed_demo_data
    from .progress import Progress

    check_lead_count(leads)  # a usage error before anything starts, not after the progress line
    try:
        import faker  # noqa: F401
    except ImportError:
        raise click.ClickException("demo-data needs Faker: pip install -e '.[dev]'") from None
    app = _app()
    sandboxes = _stack_sandboxes(app, ctx.obj)
    try:
        with app.app_context(), Progress("demo data") as progress:
            report = seed_demo_data(seed=seed, leads=leads, sandboxes=sandboxes, progress=progress)
    except DemoStepFailed as exc:
        raise click.ClickException(f"demo data stopped: {exc}") from None
    if report.added_anything:
        click.echo("added " + ", ".join(f"{count} {name}" for name, count in report.created.items()
                                         if count and name != "jobs"))
    else:
        click.echo("nothing to add: the demo data is already there")
    click.echo("the marketplace now has " + ", ".join(f"{count} {name}" for name, count in report.totals.items()))
    for note in report.notes:
        click.echo(f"note: {note}")
    click.echo("partners: " + "; ".join(report.partners))
    click.echo(f"people (password {DEMO_PASSWORD}):")
    for line in report.users:
        click.echo(f"  {line}")


def _stack_sandboxes(app, stack: dict | None) -> dict:
    """Handles on the running stack's sandboxes that this app actually talks to (none when it uses real services)."""
    from .sandboxes import SANDBOXES

    handles = {}
    for name, running in ((stack or {}).get("sandboxes") or {}).items():
        spec = SANDBOXES.get(name)
        if spec is not None and app.config.get(spec.real_service_env) == running["url"]:
            handles[name] = spec.handle(running["url"], running["options"])
    return handles


@cli.command("plugins")
def plugins_command():
    """List the enabled plugins with versions and requirements."""
    app = _app()
    for info in app.extensions["pc_plugins"]:
        requires = ", ".join(f"{k}{v}" for k, v in info.requires.items())
        click.echo(f"{info.name} {info.version}  requires: {requires}  blueprints: {', '.join(info.blueprints)}")


@cli.command("events")
@click.option("--markdown", is_flag=True, help="Print docs/events.md as generated from the catalog.")
def events_command(markdown):
    """List every declared event (the catalog of the enabled plugins)."""
    from .events import catalog, events_markdown

    app = _app()
    if markdown:
        click.echo(events_markdown(app), nl=False)
        return
    for event_type in catalog(app):
        click.echo(f"{event_type.name}  {', '.join(event_type.payload)}")


def _dev_environment(state_dir: Path) -> tuple[dict, list]:
    """Start whatever is not given by URL and return the environment for the children."""
    from . import devstack

    started = []
    env = {"PC_ENV": os.environ.get("PC_ENV", "development")}
    if not os.environ.get("MONGODB_URL"):
        mongo = devstack.start_mongo(state_dir, port=int(os.environ.get("PC_DEV_MONGODB_PORT", 0)) or None)
        started.append(mongo)
        env["MONGODB_URL"] = mongo.url + "partner_connector"
    if not os.environ.get("REDIS_URL"):
        redis = devstack.start_redis(state_dir, persist=True,
                                     port=int(os.environ.get("PC_DEV_REDIS_PORT", 0)) or None)
        started.append(redis)
        env["REDIS_URL"] = redis.url
    from .devservices import start_dev_services

    extra_env, extra_started = start_dev_services(state_dir)
    env.update(extra_env)
    started.extend(extra_started)
    return env, started


def _stack_record(started: list) -> tuple[dict, dict]:
    """What another terminal needs to reach this stack: each service's settings, and each sandbox's URL and
    options (so `pc-app demo-data` can steer it as a test does)."""
    from .sandboxes import SANDBOXES

    services = {"environment": {"PC_ENV": os.environ["PC_ENV"]},
                "mongodb": {k: os.environ[k] for k in ("MONGODB_URL", "MONGODB_DB") if os.environ.get(k)},
                "redis": {"REDIS_URL": os.environ["REDIS_URL"]}}
    sandboxes = {}
    for service in started:
        spec = SANDBOXES.get(service.name)
        if spec is not None and hasattr(service, "options"):
            services[spec.name] = spec.app_settings(service)
            sandboxes[spec.name] = {"url": service.url, "options": service.options}
    return services, sandboxes


def _owner_password(state: Path) -> str:
    """A random owner password kept in the state dir, so it survives restarts of the stack."""
    password_file = state / "owner-password"
    if not password_file.exists():
        password_file.write_text(secrets.token_urlsafe(12) + "-Aa1")
        password_file.chmod(0o600)
    return password_file.read_text().strip()


def _interrupt(*_):
    raise KeyboardInterrupt


@cli.command("dev")
@click.option("--port", default=3000, show_default=True, help="Port of the API on 127.0.0.1.")
@click.option("--state-dir", default=".pc-dev", show_default=True, envvar="PC_DEV_STATE_DIR",
              help="Where embedded services keep data and the running stack's addresses (stack.json).")
def dev(port, state_dir):
    """Run the whole stack locally: services, API, worker and scheduler; Ctrl-C stops all."""
    from . import devstack

    try:
        devstack.ensure_port_free(port)
    except devstack.PortInUse as exc:
        raise click.ClickException(str(exc)) from None
    # SIGTERM (docker stop, kill) takes the same way out as Ctrl-C.
    signal.signal(signal.SIGTERM, _interrupt)
    state = Path(state_dir).resolve()
    state.mkdir(parents=True, exist_ok=True)
    started: list = []
    children = devstack.ChildProcesses()
    failed = False
    # Stand-ins that call the API back (the HubSpot sandbox's webhooks) need its port.
    os.environ["PC_DEV_PORT"] = str(port)
    try:
        env, started = _dev_environment(state)
        env.setdefault("INITIAL_OWNER_PASSWORD", os.environ.get("INITIAL_OWNER_PASSWORD") or _owner_password(state))
        os.environ.update(env)
        app = _app()
        click.echo(f"indexes ensured for {init_database(app)} collections; {seed_platform_owner(app)}")
        pc_app = [sys.executable, "-m", "pc_app.cli"]
        children.start("worker", [*pc_app, "worker", "--with-scheduler"])
        children.start("scheduler", [*pc_app, "scheduler"])
        api = children.start("api", [sys.executable, "-m", "flask", "--app", "pc_app:create_app()", "run",
                                     "--host", "127.0.0.1", "--port", str(port), "--no-reload", "--with-threads"])
        base = f"http://127.0.0.1:{port}"
        devstack.wait_until_ready(f"{base}/readyz", api)
        stack_file = devstack.write_stack_file(state, base, *_stack_record(started))
        click.echo("\nPartner Connector is running:\n"
                   f"  API          {base}/v1\n"
                   f"  Docs         {base}/docs   (spec: {base}/openapi.json)\n"
                   f"  Outbox       {base}/dev/outbox\n"
                   f"  MongoDB      {os.environ['MONGODB_URL']}\n"
                   f"  Redis        {os.environ['REDIS_URL']}\n"
                   + "".join(f"  {k[:-8].replace('_', ' ').capitalize():<12} {v}\n"
                           for k, v in env.items() if k.endswith("_DISPLAY"))
                   + f"  Owner        {app.config['INITIAL_OWNER_EMAIL']} / {os.environ['INITIAL_OWNER_PASSWORD']}\n"
                   f"Other terminals here find these services in {stack_file} (try `pc-app demo-data`).\n"
                   "Ctrl-C stops everything.\n")
        while not children.exited():
            time.sleep(0.5)
        click.echo(f"stopping everything: {', '.join(children.exited())} stopped", err=True)
        failed = True
    except KeyboardInterrupt:
        click.echo("\nstopping...")
    except (devstack.ServiceStartError, OSError) as exc:
        click.echo(f"pc-app dev could not start: {exc}", err=True)
        failed = True
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        devstack.remove_stack_file(state)
        children.stop()
        for service in started:
            service.stop()
        click.echo("stopped.")
    if failed:
        raise SystemExit(1)


@cli.command("worker")
@click.argument("queues", nargs=-1)
@click.option("--with-scheduler", is_flag=True, help="Also move jobs scheduled with enqueue_at when due.")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(queues, with_scheduler, burst):
    """Run an RQ worker on the given queues (default: all)."""
    from .worker import run_worker

    run_worker(list(queues), with_scheduler=with_scheduler, burst=burst)


@cli.command("scheduler")
@click.option("--interval", default=5, show_default=True, help="Seconds between scheduler polls.")
@click.option("--burst", is_flag=True, help="Reconcile, queue what is due once, then exit.")
@click.option("--lease-ttl", default=30, show_default=True,
              help="Seconds the scheduler lease outlives a stalled leader before a standby takes over.")
def scheduler(interval, burst, lease_ttl):
    """Take the scheduler lease (one scheduler at a time), reconcile the periodic jobs, then run rq-scheduler."""
    from .scheduling import run_scheduler

    run_scheduler(interval=interval, burst=burst, lease_ttl=lease_ttl)


@cli.command("health")
@click.argument("role", type=click.Choice(["worker", "scheduler"]))
def health(role):
    """Liveness of the worker or scheduler on this host: exit 0 when its heartbeat in Redis is fresh."""
    from .config import CORE_SETTINGS, check_redis_url
    from .heartbeats import check
    from .redis_client import make_redis

    # Only REDIS_URL: a probe runs every few seconds and needs neither the app nor the plugins.
    state = check(make_redis(check_redis_url(os.environ.get("REDIS_URL") or CORE_SETTINGS["REDIS_URL"][0])), role)
    click.echo(state.sentence, err=not state.ok)
    if not state.ok:
        raise SystemExit(1)


@cli.command("rotate-keys")
def rotate_keys():
    """Re-encrypt every stored secret with ENCRYPTION_KEY (old keys in ENCRYPTION_KEYS_OLD)."""
    from .key_rotation import reseal_everything

    with _app().app_context():
        counts = reseal_everything()
    click.echo(f"secrets re-encrypted: {counts['rotated']}, already current: {counts['current']}, "
               f"unreadable: {counts['failed']}")
    if counts["failed"]:
        raise click.ClickException("Some secrets could not be decrypted with any configured key; keep the key that "
                                   "sealed them in ENCRYPTION_KEYS_OLD (the log names each one).")


@cli.command("env-example")
def env_example_command():
    """Print .env.example: every setting of the core and the enabled plugins, with its default."""
    from .env_example import render_env_example

    click.echo(render_env_example(_app()), nl=False)


@cli.command("k8s-cronjobs")
def k8s_cronjobs_command():
    """Print k8s/cronjobs.yaml: one suspended CronJob per periodic job of the core and the enabled plugins."""
    from .jobs import registered_job_specs
    from .k8s_cronjobs import render_cronjobs

    click.echo(render_cronjobs(registered_job_specs(_app()).values()), nl=False)


def main():
    """The ``pc-app`` entry point: a configuration or plugin problem is one sentence on stderr, no traceback."""
    from .config import ConfigError
    from .plugins import PluginError

    try:
        cli(prog_name="pc-app")
    except (ConfigError, PluginError) as exc:
        click.echo(f"pc-app: {exc}", err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
