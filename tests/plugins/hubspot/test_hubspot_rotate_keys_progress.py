"""`pc-app rotate-keys` shows its progress on stderr and its result on stdout."""
from click.testing import CliRunner

KEY_B = "5a" * 32


def test_rotate_keys_reports_progress_per_connection(app, app_config, flow, actors):
    from pc_app.cli import cli

    for _ in range(3):
        assert flow.connect(actors.partner_owner())["status"] == "success"
    env = {"PC_ENV": "development", "PC_PLUGINS": "hubspot", "MONGODB_URL": app_config["MONGODB_URL"],
           "MONGODB_DB": app_config["MONGODB_DB"], "REDIS_URL": app_config["REDIS_URL"],
           "ENCRYPTION_KEY": KEY_B, "ENCRYPTION_KEYS_OLD": app_config["ENCRYPTION_KEY"]}

    result = CliRunner().invoke(cli, ["rotate-keys"], env=env)

    assert result.exit_code == 0, result.output
    assert result.stdout == "secrets re-encrypted: 6, already current: 0, unreadable: 0\n"
    progress = [line for line in result.stderr.splitlines() if line.startswith("re-encrypting HubSpot connections")]
    assert progress[0] == "re-encrypting HubSpot connections: 1/3 (33%)"
    assert progress[-1].startswith("re-encrypting HubSpot connections: 3/3 (100%), done in ")
