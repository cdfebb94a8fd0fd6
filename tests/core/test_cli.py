"""`pc-app seed-owner` through click's CliRunner, with the environment pointing at the test services."""
import pytest
from click.testing import CliRunner

from pc_app.testing import TEST_DB, write_plugin_distribution

from .api_checks import sign_in

OWNER_PASSWORD = "Owner-Passphrase-2026"


@pytest.fixture
def quiet_plugin_installed(tmp_path, monkeypatch):
    """A hookless plugin distribution, enabled alone, so the command line loads no feature plugin."""
    write_plugin_distribution(tmp_path, "cli_quiet")
    monkeypatch.syspath_prepend(str(tmp_path))
    return "cli_quiet"


@pytest.fixture
def pc_app_cli(app, pc_services, quiet_plugin_installed, monkeypatch):
    """Run `pc-app ...` against the test database; ``app`` has emptied it first."""
    from pc_app.cli import PcGroup, cli

    for name, value in {"PC_ENV": "development", "PC_PLUGINS": quiet_plugin_installed,
                        "MONGODB_URL": pc_services.mongodb_url, "MONGODB_DB": TEST_DB,
                        "REDIS_URL": pc_services.redis_url, "INITIAL_OWNER_EMAIL": "Boss@Example.test",
                        "INITIAL_OWNER_PASSWORD": OWNER_PASSWORD, "INITIAL_OWNER_NAME": "The Boss"}.items():
        monkeypatch.setenv(name, value)
    group = PcGroup(name="pc-app", commands=dict(cli.commands))
    runner = CliRunner()

    def run(*args):
        return runner.invoke(group, list(args))
    return run


def _owners(app):
    from pc_app.core.models import User

    with app.app_context():
        return [(u.email, u.name, u.role) for u in User.objects(role="owner")]


def test_seed_owner_creates_the_owner_who_can_sign_in(pc_app_cli, app, client):
    result = pc_app_cli("seed-owner")
    assert result.exit_code == 0, result.output
    assert result.output == "owner boss@example.test created\n"
    assert _owners(app) == [("boss@example.test", "The Boss", "owner")]
    assert sign_in(client, "boss@example.test", OWNER_PASSWORD).get_json()["user"]["role"] == "owner"


def test_seed_owner_is_idempotent(pc_app_cli, app, client, monkeypatch):
    pc_app_cli("seed-owner")
    monkeypatch.setenv("INITIAL_OWNER_PASSWORD", "Changed-Passphrase-2027")
    again = pc_app_cli("seed-owner")
    assert again.exit_code == 0, again.output
    assert again.output == "owner boss@example.test already exists\n"
    assert len(_owners(app)) == 1
    assert sign_in(client, "boss@example.test", OWNER_PASSWORD).status_code == 200  # password untouched


def test_seed_owner_never_creates_a_second_owner(pc_app_cli, app, monkeypatch):
    pc_app_cli("seed-owner")
    monkeypatch.setenv("INITIAL_OWNER_EMAIL", "someone-else@example.test")
    result = pc_app_cli("seed-owner")
    assert result.exit_code == 0
    assert result.output == "owner boss@example.test already exists\n"
    assert len(_owners(app)) == 1


@pytest.mark.parametrize("password, problem", [
    ("short", "at least 10 characters"),
    ("password123", "too common"),
    ("boss@example.test", "must not be your email"),
])
def test_seed_owner_refuses_a_weak_password(pc_app_cli, app, monkeypatch, password, problem):
    monkeypatch.setenv("INITIAL_OWNER_PASSWORD", password)
    result = pc_app_cli("seed-owner")
    assert result.exit_code == 1
    assert "INITIAL_OWNER_PASSWORD" in result.output and problem in result.output
    assert _owners(app) == []


def test_seed_owner_needs_a_password(pc_app_cli, app, monkeypatch):
    monkeypatch.setenv("INITIAL_OWNER_PASSWORD", "")
    result = pc_app_cli("seed-owner")
    assert result.exit_code == 1
    assert "INITIAL_OWNER_PASSWORD is not set" in result.output
    assert _owners(app) == []


def test_seed_owner_refuses_an_email_that_belongs_to_a_partner_user(pc_app_cli, app, actors):
    actors.user(email="boss@example.test")
    result = pc_app_cli("seed-owner")
    assert result.exit_code == 1
    assert "INITIAL_OWNER_EMAIL boss@example.test belongs to a user with role 'user'" in result.output
    assert _owners(app) == []
