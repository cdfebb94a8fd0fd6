"""`pc-app` says what is wrong with the configuration in one sentence, and knows its version."""
import pytest

from pc_app import __version__

from .processes import run_pc_app, service_env

STRONG = "k9Qz2vLx7Rm4Tp8Wn3Yb6Hc1Jd5Fg0Se"  # production refuses one repeated character


def production_env(pc_services, **overrides):
    settings = dict(PC_ENV="production", PC_PLUGINS="hubspot", JWT_SECRET=STRONG, CRON_SECRET=STRONG + "c",
                    ENCRYPTION_KEY="ab" * 32, MAIL_BACKEND="mailgun", MAILGUN_API_KEY="key-" + STRONG,
                    MAILGUN_DOMAIN="mg.example.test", HUBSPOT_CLIENT_ID="client-id",
                    HUBSPOT_CLIENT_SECRET="client-secret", HUBSPOT_APP_SECRET="app-secret",
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
