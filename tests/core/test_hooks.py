"""Every hook the core offers, observed through a throwaway plugin (tests/core/throwaway_plugins/hook_probe.py).

The names follow ``test_hook_<hook>``: tests/test_hooks_documented.py checks that each hook has one.
"""
import textwrap

import pytest

from .conftest import throwaway

PROBE = {"hook_probe": throwaway("hook_probe")}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PC_PLUGINS": ["hook_probe"], "PC_EXTRA_PLUGINS": dict(PROBE)}


def test_hook_pc_config_defaults(app, app_config, monkeypatch):
    from pc_app import create_app

    assert app.config["HOOK_PROBE_LIMIT"] == 3 and app.config["HOOK_PROBE_ENABLED"] is False
    monkeypatch.setenv("HOOK_PROBE_LIMIT", "7")
    monkeypatch.setenv("HOOK_PROBE_ENABLED", "true")
    again = create_app(dict(app_config))
    assert again.config["HOOK_PROBE_LIMIT"] == 7 and again.config["HOOK_PROBE_ENABLED"] is True
    monkeypatch.delenv("HOOK_PROBE_LIMIT")
    monkeypatch.setenv("PROBE_LIMIT", "9")  # the old name is still read
    assert create_app(dict(app_config)).config["HOOK_PROBE_LIMIT"] == 9


def test_hook_pc_register_blueprints(client):
    assert client.get("/v1/hook-probe/hello").get_json() == {"hello": "probe"}
    assert client.get("/v1/plugins").get_json()[0]["blueprints"] == ["hook_probe"]
    assert "/v1/hook-probe/hello" in client.get("/openapi.json").get_json()["paths"]


def test_hook_pc_register_models(app):
    from pc_app.db import database

    assert "ProbeThing" in [model.__name__ for model in app.extensions["pc_models"]]
    with app.app_context():  # the test harness (like `pc-app db-init`) created the declared indexes
        indexes = database()["hook_probe_things"].index_information()
    keys = [tuple(name for name, _direction in index["key"]) for index in indexes.values()]
    assert ("partner", "number") in keys
    assert any(index.get("unique") and [k for k, _ in index["key"]] == ["code"] for index in indexes.values())


def test_hook_pc_register_jobs(app):
    from pc_app.jobs import JobSpec, registered_job_specs

    specs = registered_job_specs(app)
    assert specs["hook-probe-tick"] == JobSpec(id="hook-probe-tick", func=f"{PROBE['hook_probe']}.tick",
                                               interval=60, queue="default")


def test_hook_pc_register_commands(tmp_path, monkeypatch):
    """The command appears in `pc-app` for a plugin installed as a distribution."""
    from click.testing import CliRunner

    from pc_app.cli import PcGroup, cli

    package = tmp_path / "pc_cli_probe"
    package.mkdir()
    (package / "__init__.py").write_text('NAME = "cli_probe"\n__version__ = "1.0.0"\nREQUIRES = {"pc_app": ">=1"}\n')
    (package / "plugin.py").write_text(textwrap.dedent('''\
        import click
        from pc_app import hookimpl


        @hookimpl
        def pc_register_commands(cli):
            @cli.command("probe-hello")
            @click.option("--name", default="world")
            def probe_hello(name):
                """Say hello from the probe plugin."""
                click.echo(f"hello {name} from the probe")
    '''))
    dist_info = tmp_path / "pc_cli_probe-1.0.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: pc-cli-probe\nVersion: 1.0.0\n")
    (dist_info / "entry_points.txt").write_text("[pc_app.plugins]\ncli_probe = pc_cli_probe.plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PC_PLUGINS", "cli_probe")

    group = PcGroup(name="pc-app", commands=dict(cli.commands), help=cli.help)  # a fresh copy of `pc-app`
    runner = CliRunner()
    listing = runner.invoke(group, ["--help"])
    assert listing.exit_code == 0, listing.output
    assert "probe-hello" in listing.output and "seed-owner" in listing.output
    result = runner.invoke(group, ["probe-hello", "--name", "Ada"])
    assert result.exit_code == 0, result.output
    assert result.output == "hello Ada from the probe\n"
    assert "probe-hello" not in cli.commands  # the real group was not touched


def _results(app, hook, **kwargs):
    from pc_app.plugins import call_hook

    return call_hook(app.extensions["pc_plugin_manager"], hook, **kwargs)


def test_hook_pc_onboarding_steps(app, actors, client):
    from pc_app.core.models import Partner
    from pc_app.onboarding import OnboardingStep

    partner = actors.partner()
    assert _results(app, "pc_onboarding_steps", partner=partner) == [
        ("hook_probe", [OnboardingStep("websiteGiven", False, 15)])]
    with_site = Partner(name="Site", slug="site", website="https://site.example")
    assert _results(app, "pc_onboarding_steps", partner=with_site) == [
        ("hook_probe", [OnboardingStep("websiteGiven", True, 15)])]


def test_hook_pc_register_events(app):
    catalog = app.extensions["pc_events"]
    assert catalog.owners["hook_probe.thing_counted"] == "hook_probe"
    assert catalog.get("hook_probe.thing_counted").payload == {"count": "how many"}
    assert catalog.owners["core.lead_created"] == "core"


def test_hook_pc_register_subscriptions(app, client, actors):
    from pc_app.events import emit

    owner = actors.partner_owner()
    client.post("/v1/leads", headers=owner.headers, json={"firstName": "A", "email": "a@example.com"})
    client.post("/v1/partners", headers=actors.owner().headers, json={"name": "Not heard"})
    with app.app_context():
        emit("hook_probe.thing_counted", payload={"count": 2})
    assert app.extensions["hook_probe_events"] == ["core.lead_created", "hook_probe.thing_counted"]


def test_hook_pc_add_hookspecs(app):
    assert _results(app, "pc_probe_greeting", name="Ada") == [("hook_probe", "hello Ada")]
    assert app.extensions["pc_plugin_manager"].hook.pc_probe_greeting.spec.argnames == ("name",)


def test_hook_pc_app_created(app):
    routes = app.extensions["hook_probe_created"]
    assert "/v1/leads" in routes and "/v1/hook-probe/hello" in routes
