"""`pc-app` says what is wrong with the configuration in one sentence, and knows its version."""
import pytest

from pc_app import __version__

from .processes import run_pc_app, service_env

STRONG = "k9Qz2vLx7Rm4Tp8Wn3Yb6Hc1Jd5Fg0Se"  # production refuses one repeated character


def production_env(pc_services, **overrides):
    settings = dict(PC_ENV="production", PC_PLUGINS="hubspot", JWT_SECRET=STRONG, CRON_SECRET=STRONG + "c",
                    ENCRYPTION_KEY="ab" * 32, MAIL_BACKEND="mailgun", MAILGUN_API_KEY="key-" + STRONG,
                    MAILGUN_DOMAIN="mg.example.test", HUBSPOT_CLIENT_ID="5f0c2a8e-3b7d-4c1e-9a6f-2d8b4e7c1a93",
                    HUBSPOT_CLIENT_SECRET="a7c3e9f1-6b2d-4f8a-8e5c-1d9b7f3a2c64",
                    HUBSPOT_APP_SECRET="e2b8d4a6-9c1f-4e3b-a7d5-6f0c8b2e4a17",
                    FRONTEND_URL="https://app.example.test", CORS_ORIGINS="https://app.example.test")
    return service_env(pc_services, **{**settings, **overrides})


def test_version():
    from click.testing import CliRunner

    from pc_app.cli import cli

    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and result.output == f"pc-app {__version__}\n"


@pytest.mark.parametrize("missing", ["HUBSPOT_CLIENT_ID", "HUBSPOT_CLIENT_SECRET", "HUBSPOT_APP_SECRET"])
@pytest.mark.parametrize("command", [["worker", "--burst"], ["scheduler", "--burst"], ["db-init"]])
def test_production_refuses_to_start_without_the_hubspot_credentials_in_one_sentence(pc_services, missing, command):
    result = run_pc_app(command, production_env(pc_services, **{missing: ""}))

    assert result.returncode == 2
    assert result.stderr == f"pc-app: {missing} is required in production (an enabled plugin needs it).\n"
    assert result.stdout == ""


def test_a_plugin_that_is_not_installed_is_one_sentence_too(pc_services):
    result = run_pc_app(["db-init"], service_env(pc_services, PC_PLUGINS="no_such_plugin"))

    assert result.returncode == 2
    assert result.stderr.startswith("pc-app: ") and result.stderr.count("\n") == 1
    assert "no_such_plugin" in result.stderr and "Traceback" not in result.stderr


def test_production_without_the_hubspot_plugin_needs_no_hubspot_credentials(pc_services):
    env = production_env(pc_services, PC_PLUGINS="registration", HUBSPOT_CLIENT_ID="", HUBSPOT_CLIENT_SECRET="",
                         HUBSPOT_APP_SECRET="")
    result = run_pc_app(["db-init"], env)

    assert result.returncode == 0, result.stderr
    assert "indexes ensured" in result.stdout


BAD_REDIS_URL = "redis+tls://:Hunter2SuperSecretPw@redis.example:6380/0"


@pytest.mark.parametrize("command", [["worker"], ["scheduler", "--burst"], ["db-init"], ["plugins"],
                                     ["health", "worker"]])
def test_an_unreadable_redis_url_is_one_sentence_without_its_password(pc_services, command):
    result = run_pc_app(command, production_env(pc_services, REDIS_URL=BAD_REDIS_URL))

    assert result.returncode == 2
    assert result.stderr == ("pc-app: REDIS_URL must be a redis://, rediss:// or unix:// URL that redis-py can read, "
                             "like rediss://:PASSWORD@HOST:6380/0 with the password percent-encoded; got a redis+tls:// "
                             "URL.\n")
    assert result.stdout == ""


def test_an_unreadable_mongodb_url_is_one_sentence_without_its_password(pc_services):
    result = run_pc_app(["db-init"], service_env(pc_services, MONGODB_URL="mongodb://app:Hunter2SuperSecretPw/x@db:1/pc"))

    assert result.returncode == 2
    assert result.stderr.startswith("pc-app: MONGODB_URL must be a mongodb:// or mongodb+srv:// connection string")
    assert result.stderr.count("\n") == 1 and "Hunter2" not in result.stderr


@pytest.mark.parametrize("command", [["worker", "--burst"], ["scheduler", "--burst"]])
def test_a_worker_or_scheduler_that_cannot_reach_redis_says_so_in_one_sentence(pc_services, command):
    from pc_app.devstack import free_port

    unreachable = f"redis://:Hunter2SuperSecretPw@127.0.0.1:{free_port()}/0"
    result = run_pc_app(command, service_env(pc_services, REDIS_URL=unreachable))

    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == "Redis is unreachable (ConnectionError); check REDIS_URL."
    assert "Traceback" not in result.stderr and "Hunter2" not in result.stderr + result.stdout


@pytest.mark.parametrize("name, value", [("HUBSPOT_CLIENT_SECRET", "REPLACE_ME"), ("HUBSPOT_CLIENT_SECRET", "pc-sandbox-secret"),
                                         ("HUBSPOT_CLIENT_ID", "REPLACE_WITH_HUBSPOT_APP_CLIENT_ID"),
                                         ("METRICS_TOKEN", "x")])
def test_production_db_init_refuses_a_placeholder_sandbox_or_short_credential_in_one_sentence(pc_services, name,
                                                                                             value):
    result = run_pc_app(["db-init"], production_env(pc_services, **{name: value}))

    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"pc-app: {name} is ") and result.stderr.count("\n") == 1
    assert value not in result.stderr.replace(name, "")


def _running_stack(state_dir, pc_services) -> None:
    """A `pc-app dev` stack's record, as another terminal finds it (this test process stands in for its pid)."""
    from pc_app.devstack import write_stack_file
    from pc_app.testing import TEST_DB

    hubspot = {name: value for name, value in production_env(pc_services).items() if name.startswith("HUBSPOT_")}
    write_stack_file(state_dir, "http://127.0.0.1:9", {"environment": {"PC_ENV": "development"},
                                                       "mongodb": {"MONGODB_URL": pc_services.mongodb_url,
                                                                   "MONGODB_DB": TEST_DB},
                                                       "hubspot": hubspot}, {})


def _without(env: dict, *prefixes) -> dict:
    return {name: value for name, value in env.items() if not name.startswith(prefixes)}


def test_production_commands_ignore_a_running_dev_stack(pc_services, tmp_path):
    _running_stack(tmp_path, pc_services)
    env = _without(production_env(pc_services, PC_DEV_STATE_DIR=str(tmp_path)), "HUBSPOT_")

    result = run_pc_app(["db-init"], env)

    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == "pc-app: HUBSPOT_CLIENT_ID is required in production (an enabled plugin needs it).\n"


def test_development_commands_use_the_running_dev_stack(pc_services, tmp_path):
    _running_stack(tmp_path, pc_services)
    env = _without(service_env(pc_services, PC_DEV_STATE_DIR=str(tmp_path), PC_PLUGINS="hubspot"), "MONGODB_")

    result = run_pc_app(["db-init"], env)

    assert result.returncode == 0, result.stderr
    assert "indexes ensured" in result.stdout


def test_an_unknown_log_level_stops_a_command_in_one_sentence(pc_services):
    result = run_pc_app(["db-init"], service_env(pc_services, LOG_LEVEL="verbose"))

    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == "pc-app: LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got 'verbose'.\n"
