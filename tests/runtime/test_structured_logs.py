"""Every process logs JSON lines at LOG_LEVEL, with the request id, and secrets never reach them."""
import json
import logging

import pytest

from pc_app.redaction import REDACTED, redact, register_secret_values


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("text, secret", [
    ("Authorization: Bearer abc.DEF-123_456", "abc.DEF-123_456"),
    ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl in a sentence",
     "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl"),
    ("stripe key sk_live_51HxYzAbCdEf0123", "sk_live_51HxYzAbCdEf0123"),
    ("restricted rk_test_51HxYzAbCdEf0123", "rk_test_51HxYzAbCdEf0123"),
    ("webhook secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIK2LdqHZ", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIK2LdqHZ"),
    ("{'email': 'a@b.test', 'password': 'Correct-Horse-9'}", "Correct-Horse-9"),
    ('{"email": "a@b.test", "newPassword": "Correct-Horse-9"}', "Correct-Horse-9"),
    ("refresh_token='r-123-abc-456' sent", "r-123-abc-456"),
    ("POST /oauth/v1/token grant_type=refresh_token&refresh_token=abc-123-def&client_secret=cs-999",
     "abc-123-def"),
    ("grant_type=authorization_code&code=the-oauth-code-1&client_secret=cs-999", "the-oauth-code-1"),
    ("connecting to mongodb+srv://app:S3cretPw@cluster0.example.net/db", "S3cretPw"),
    ("redis rediss://:RedisPw123@redis.example:6380/0", "RedisPw123"),
    ('"GET /oauth/v1/access-tokens/CJSP5qf1KhICAQEYs-gDIIGOBii1hQU HTTP/1.1" 200', "CJSP5qf1KhICAQEYs-gDIIGOBii1hQU"),
])
def test_token_shaped_strings_are_redacted(text, secret):
    assert secret not in redact(text)
    assert REDACTED in redact(text)


def test_registered_secret_values_are_redacted_anywhere_and_ordinary_text_is_left_alone():
    register_secret_values(["a-very-particular-secret-value", ["old-key-0001", "old-key-0002"], "short", None])
    assert redact("x=a-very-particular-secret-value; old-key-0002!") == f"x={REDACTED}; {REDACTED}!"
    assert redact("short words stay") == "short words stay"
    plain = "lead 65f0c0ffee0123456789abcd listed for 2500 cents by partner Seed Sellers"
    assert redact(plain) == plain


@pytest.fixture
def log_output(app, capsys):
    """What the app's loggers write to stderr, as parsed JSON lines."""
    capsys.readouterr()

    def read():
        return json_lines(capsys.readouterr().err)
    return read


def test_lines_are_json_with_time_level_logger_message_and_the_request_id(app, client, log_output):
    @app.route("/_log_probe")
    def probe():
        logging.getLogger("pc_app.probe").warning("probe says %s", "hi", extra={"partnerId": "p-1"})
        return "ok"

    client.get("/_log_probe", headers={"X-Request-ID": "req-12345678"})

    [line] = [line for line in log_output() if line["logger"] == "pc_app.probe"]
    assert line["message"] == "probe says hi" and line["level"] == "warning"
    assert line["requestId"] == "req-12345678" and line["partnerId"] == "p-1"
    assert line["time"].endswith("+00:00")


def test_exceptions_are_one_json_line_with_the_traceback_redacted(app, client, log_output):
    @app.route("/_boom")
    def boom():
        raise RuntimeError("failed with password='Hunter2-Hunter2'")

    assert client.get("/_boom").status_code == 500

    [line] = [line for line in log_output() if line["message"].startswith("unhandled error")]
    assert line["level"] == "error" and "RuntimeError" in line["exception"]
    assert "Hunter2-Hunter2" not in json.dumps(line)


@pytest.mark.parametrize("level, debug_seen, info_seen", [("DEBUG", True, True), ("INFO", False, True),
                                                          ("warning", False, False)])
def test_log_level_is_honoured(app_config, capsys, level, debug_seen, info_seen):
    from pc_app import create_app

    create_app({**app_config, "LOG_LEVEL": level})
    capsys.readouterr()
    logging.getLogger("pc_app.level_probe").debug("debug line")
    logging.getLogger("pc_app.level_probe").info("info line")
    messages = [line["message"] for line in json_lines(capsys.readouterr().err)]
    assert ("debug line" in messages) is debug_seen
    assert ("info line" in messages) is info_seen


def test_wire_level_libraries_stay_at_info_even_at_debug(app_config):
    from pc_app import create_app

    create_app({**app_config, "LOG_LEVEL": "DEBUG"})
    assert logging.getLogger().getEffectiveLevel() == logging.DEBUG
    for name in ("pymongo", "urllib3", "hubspot", "stripe"):
        assert logging.getLogger(name).getEffectiveLevel() == logging.INFO


def test_the_apps_secret_settings_are_redacted(app_config, capsys):
    from pc_app import create_app

    create_app({**app_config, "JWT_SECRET": "jwt-secret-value-for-the-log-test", "CRON_SECRET": "cron-secret-0001"})
    capsys.readouterr()
    logging.getLogger("pc_app.probe").error("settings: jwt-secret-value-for-the-log-test / cron-secret-0001")
    [line] = json_lines(capsys.readouterr().err)
    assert line["message"] == f"settings: {REDACTED} / {REDACTED}"
