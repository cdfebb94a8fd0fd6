"""The ``pc-app`` command line: the local stack, database set-up, the first owner, workers."""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import click


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
            from .plugins import build_plugin_manager

            enabled = [p.strip() for p in os.environ.get("PC_PLUGINS", "").split(",") if p.strip()]
            pm, _ = build_plugin_manager(enabled)
            pm.hook.pc_register_commands(cli=self)
        except Exception as exc:  # a broken plugin must not hide the core commands
            click.echo(f"warning: plugin commands unavailable: {exc}", err=True)

    def list_commands(self, ctx):
        self._load_plugin_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx, name):
        self._load_plugin_commands()
        return super().get_command(ctx, name)


@click.group(cls=PcGroup)
def cli():
    """Partner Connector operations."""


@cli.command("db-init")
def db_init():
    """Create every index the enabled plugins declare (safe to repeat)."""
    from .db import ensure_indexes

    app = _app()
    with app.app_context():
        ensure_indexes(app.extensions["pc_models"])
    click.echo(f"indexes ensured for {len(app.extensions['pc_models'])} collections")


@cli.command("seed-owner")
def seed_owner_command():
    """Create the platform owner from INITIAL_OWNER_EMAIL/PASSWORD/NAME (idempotent)."""
    from .core.passwords import password_problems
    from .core.users.services import seed_owner

    app = _app()
    email, password = app.config["INITIAL_OWNER_EMAIL"], app.config["INITIAL_OWNER_PASSWORD"]
    if not password:
        raise click.ClickException("INITIAL_OWNER_PASSWORD is not set.")
    problems = password_problems(password, email)
    if problems:
        raise click.ClickException("INITIAL_OWNER_PASSWORD: " + " ".join(problems))
    with app.app_context():
        user, created = seed_owner(email, password, app.config["INITIAL_OWNER_NAME"])
    click.echo(f"owner {user.email} {'created' if created else 'already exists'}")


@cli.command("plugins")
def plugins_command():
    """List the enabled plugins with versions and requirements."""
    app = _app()
    for info in app.extensions["pc_plugins"]:
        requires = ", ".join(f"{k}{v}" for k, v in info.requires.items())
        click.echo(f"{info.name} {info.version}  requires: {requires}  blueprints: {', '.join(info.blueprints)}")


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


@cli.command("dev")
@click.option("--port", default=3000, show_default=True)
@click.option("--state-dir", default=".pc-dev", show_default=True, help="Where embedded services keep data.")
def dev(port, state_dir):
    """Run the whole stack locally: services, API, worker and scheduler; Ctrl-C stops all."""
    state = Path(state_dir).resolve()
    state.mkdir(parents=True, exist_ok=True)
    env, started = _dev_environment(state)
    password_file = state / "owner-password"
    if not os.environ.get("INITIAL_OWNER_PASSWORD"):
        if not password_file.exists():
            password_file.write_text(secrets.token_urlsafe(12))
        env["INITIAL_OWNER_PASSWORD"] = password_file.read_text().strip()
    os.environ.update(env)
    children: list[subprocess.Popen] = []

    def stop_all(*_):
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        for service in started:
            service.stop()

    try:
        subprocess.run([sys.executable, "-m", "pc_app.cli", "db-init"], check=True)
        subprocess.run([sys.executable, "-m", "pc_app.cli", "seed-owner"], check=True)
        children.append(subprocess.Popen([sys.executable, "-m", "pc_app.cli", "worker", "--with-scheduler"]))
        children.append(subprocess.Popen([sys.executable, "-m", "pc_app.cli", "scheduler"]))
        children.append(subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi:app", "run",
                                          "--host", "127.0.0.1", "--port", str(port), "--no-reload",
                                          "--with-threads"]))
        base = f"http://127.0.0.1:{port}"
        click.echo("\nPartner Connector is running:\n"
                   f"  API          {base}/v1\n"
                   f"  Docs         {base}/docs   (spec: {base}/openapi.json)\n"
                   f"  Outbox       {base}/dev/outbox\n"
                   f"  MongoDB      {os.environ['MONGODB_URL']}\n"
                   f"  Redis        {os.environ['REDIS_URL']}\n"
                   + "".join(f"  {k:<12} {v}\n" for k, v in env.items() if k.endswith("_DISPLAY"))
                   + f"  Owner        {os.environ.get('INITIAL_OWNER_EMAIL', 'owner@partner-connector.local')}"
                     f" / {os.environ['INITIAL_OWNER_PASSWORD']}\n"
                   "Ctrl-C stops everything.\n")
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        failed = [c.args[3] if len(c.args) > 3 else c.args for c in children if c.poll() is not None]
        click.echo(f"a child process stopped ({failed}); shutting down", err=True)
    except KeyboardInterrupt:
        click.echo("\nstopping...")
    finally:
        stop_all()


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
def scheduler(interval):
    """Reconcile the plugins' periodic jobs into rq-scheduler, then run it."""
    from .scheduling import run_scheduler

    run_scheduler(interval=interval)


def main():
    cli(prog_name="pc-app")


if __name__ == "__main__":
    main()
