"""Settings from the environment, validated at start: a bad deploy stops with a sentence naming the variable."""
import pytest

from pc_app.config import ConfigError, load_config

STRONG = "s" * 20 + "9f2c41d8e7b6a5f4c3d2e1f0a9b8c7d6"
GOOD_KEY = "ab" * 32
PRODUCTION = {"PC_ENV": "production", "JWT_SECRET": STRONG, "CRON_SECRET": STRONG + "x",
              "ENCRYPTION_KEY": GOOD_KEY, "MAIL_BACKEND": "mailgun", "MAILGUN_API_KEY": "key-" + "3f9a" * 8,
              "MAILGUN_DOMAIN": "mg.example.com", "FRONTEND_URL": "https://app.example.com",
              "CORS_ORIGINS": "https://app.example.com"}


def test_defaults_work_for_development_without_any_environment():
    config = load_config(environ={})
    assert config["PC_ENV"] == "development"
    assert config["JWT_ACCESS_MINUTES"] == 30 and config["JWT_REFRESH_DAYS"] == 30
    assert config["MAIL_BACKEND"] == "outbox"


def test_values_come_from_the_environment_with_their_types():
    config = load_config(environ={"JWT_ACCESS_MINUTES": "15", "CORS_ORIGINS": "https://a.example, https://b.example",
                                  "FRONTEND_URL": "https://app.example"})
    assert config["JWT_ACCESS_MINUTES"] == 15
    assert config["CORS_ORIGINS"] == ["https://a.example", "https://b.example"]
    assert config["FRONTEND_URL"] == "https://app.example"


def test_list_settings_are_lists_whether_defaulted_given_or_read():
    assert load_config(environ={})["CORS_ORIGINS"] == ["http://localhost:3001"]
    assert load_config({"CORS_ORIGINS": "https://a.example,https://b.example"}, environ={})["CORS_ORIGINS"] == \
        ["https://a.example", "https://b.example"]


def test_explicit_overrides_win_over_the_environment():
    assert load_config({"JWT_ACCESS_MINUTES": 5}, environ={"JWT_ACCESS_MINUTES": "15"})["JWT_ACCESS_MINUTES"] == 5


def test_a_good_production_configuration_loads():
    assert load_config(environ=PRODUCTION)["PC_ENV"] == "production"


@pytest.mark.parametrize("name", ["JWT_SECRET", "CRON_SECRET"])
@pytest.mark.parametrize("value", [None, "", "short-secret", "dev-insecure-secret-change-me-0000000000000000"])
def test_production_refuses_missing_or_weak_secrets_naming_the_variable(name, value):
    environ = dict(PRODUCTION)
    if value is None:
        del environ[name]
    else:
        environ[name] = value
    with pytest.raises(ConfigError) as refused:
        load_config(environ=environ)
    assert str(refused.value).startswith(name)


def test_production_refuses_the_development_encryption_key():
    with pytest.raises(ConfigError, match="^ENCRYPTION_KEY"):
        load_config(environ={**PRODUCTION, "ENCRYPTION_KEY": "00" * 32})


def test_production_refuses_a_missing_encryption_key():
    environ = dict(PRODUCTION)
    del environ["ENCRYPTION_KEY"]
    with pytest.raises(ConfigError, match="^ENCRYPTION_KEY"):
        load_config(environ=environ)


@pytest.mark.parametrize("key", ["abc", "zz" * 32, "ab" * 31, "ab" * 33])
def test_a_malformed_encryption_key_is_refused_everywhere(key):
    with pytest.raises(ConfigError, match="^ENCRYPTION_KEY must be 64 hexadecimal"):
        load_config(environ={"ENCRYPTION_KEY": key})


def test_old_encryption_keys_are_checked_too():
    with pytest.raises(ConfigError, match="^ENCRYPTION_KEYS_OLD"):
        load_config(environ={"ENCRYPTION_KEYS_OLD": f"{GOOD_KEY},nope"})


def test_production_needs_mailgun_settings():
    with pytest.raises(ConfigError, match="MAILGUN_API_KEY"):
        load_config(environ={**PRODUCTION, "MAILGUN_API_KEY": ""})
    with pytest.raises(ConfigError, match="MAIL_BACKEND"):
        load_config(environ={**PRODUCTION, "MAIL_BACKEND": "outbox"})


@pytest.mark.parametrize("name, raw", [("JWT_ACCESS_MINUTES", "soon"), ("PASSWORD_RESET_MINUTES", "1.5")])
def test_a_number_setting_that_is_not_a_number_names_the_variable(name, raw):
    with pytest.raises(ConfigError, match=f"^{name} must be a whole number"):
        load_config(environ={name: raw})


def test_unknown_environment_name_is_refused():
    with pytest.raises(ConfigError, match="^PC_ENV"):
        load_config(environ={"PC_ENV": "staging"})


def test_unknown_mail_backend_is_refused():
    with pytest.raises(ConfigError, match="^MAIL_BACKEND"):
        load_config(environ={"MAIL_BACKEND": "carrier-pigeon"})


def test_plugin_settings_are_read_like_core_settings():
    config = load_config(extra_settings={"DEMO_LIMIT": (3, "int"), "DEMO_ON": (False, "bool")},
                         environ={"DEMO_LIMIT": "7", "DEMO_ON": "yes"})
    assert config["DEMO_LIMIT"] == 7 and config["DEMO_ON"] is True
    with pytest.raises(ConfigError, match="^DEMO_ON must be true or false"):
        load_config(extra_settings={"DEMO_ON": (False, "bool")}, environ={"DEMO_ON": "perhaps"})


def test_create_app_refuses_a_bad_configuration(app_config):
    from pc_app import create_app

    with pytest.raises(ConfigError, match="^JWT_SECRET"):
        create_app({**app_config, **PRODUCTION, "JWT_SECRET": "weak"})


@pytest.mark.parametrize("name, raw", [("FRONTEND_URL", "app.example.com"), ("CORS_ORIGINS", "https://a.example/path"),
                                       ("JWT_ACCESS_MINUTES", "0"), ("INVITE_HOURS", "-1")])
def test_malformed_urls_and_durations_are_refused_naming_the_variable(name, raw):
    with pytest.raises(ConfigError, match=f"^{name} must"):
        load_config(environ={name: raw})


# --- what production refuses on top (one sentence each) -----------------------------------------

def _refusal(**changes) -> str:
    with pytest.raises(ConfigError) as refused:
        load_config(environ={**PRODUCTION, **changes})
    message = str(refused.value)
    assert message.endswith(".") and message.count(". ") == 0, message  # one sentence
    return message


def test_production_refuses_the_same_value_for_jwt_and_cron_secrets():
    assert _refusal(CRON_SECRET=STRONG).startswith("JWT_SECRET and CRON_SECRET must be two different")


@pytest.mark.parametrize("name", ["JWT_SECRET", "CRON_SECRET"])
def test_production_refuses_a_secret_of_one_repeated_character(name):
    assert _refusal(**{name: "a" * 64}).startswith(f"{name} is one character repeated")


def test_production_refuses_cors_for_every_origin():
    assert _refusal(CORS_ORIGINS="*").startswith("CORS_ORIGINS='*'")
    assert _refusal(CORS_ORIGINS="https://app.example.com,*").startswith("CORS_ORIGINS='*'")


def test_production_refuses_a_frontend_url_without_https():
    assert _refusal(FRONTEND_URL="http://app.example.com").startswith("FRONTEND_URL must start with https://")


def test_development_still_accepts_what_production_refuses():
    config = load_config(environ={"CORS_ORIGINS": "*", "FRONTEND_URL": "http://localhost:3001",
                                  "JWT_SECRET": "x" * 40, "CRON_SECRET": "x" * 40})
    assert config["CORS_ORIGINS"] == ["*"]


# --- trusted proxies -------------------------------------------------------------------------

def test_no_proxy_is_trusted_by_default():
    assert load_config(environ={})["TRUSTED_PROXY_ADDRESSES"] == []


def test_trusted_proxy_addresses_take_addresses_and_networks():
    config = load_config(environ={"TRUSTED_PROXY_ADDRESSES": "10.0.0.0/8, 192.168.1.7, fd00::/8"})
    assert config["TRUSTED_PROXY_ADDRESSES"] == ["10.0.0.0/8", "192.168.1.7", "fd00::/8"]


def test_a_malformed_trusted_proxy_address_is_refused():
    with pytest.raises(ConfigError, match="^TRUSTED_PROXY_ADDRESSES must list IP addresses or CIDR networks"):
        load_config(environ={"TRUSTED_PROXY_ADDRESSES": "10.0.0.0/8,ingress"})


def test_the_old_hop_count_setting_stops_start_up_until_its_replacement_is_set():
    with pytest.raises(ConfigError, match="^TRUSTED_PROXIES .* TRUSTED_PROXY_ADDRESSES instead"):
        load_config(environ={"TRUSTED_PROXIES": "1"})
    assert load_config(environ={"TRUSTED_PROXIES": "0"})["TRUSTED_PROXY_ADDRESSES"] == []
    assert load_config(environ={"TRUSTED_PROXIES": "1", "TRUSTED_PROXY_ADDRESSES": "10.0.0.0/8"})


# --- service URLs: refused in one sentence that never shows the password -------------------------

@pytest.mark.parametrize("name, url", [
    ("REDIS_URL", "redis+tls://:Hunter2SuperSecretPw@redis.example:6380/0"),
    ("REDIS_URL", "redis://:Hunter2SuperSecretPw@redis.example:port/0"),
    ("REDIS_URL", "Hunter2SuperSecretPw"),
    ("MONGODB_URL", "mongodb://app:Hunter2SuperSecretPw/x@db.example:27017/partner_connector"),
    ("MONGODB_URL", "mongodb+srv://app:Hunter2SuperSecretPw@cluster.example.net:27017/partner_connector"),
    ("MONGODB_URL", "postgres://app:Hunter2SuperSecretPw@db.example/partner_connector"),
])
def test_an_unreadable_service_url_is_refused_without_its_password(name, url):
    with pytest.raises(ConfigError) as refused:
        load_config(environ={name: url})
    message = str(refused.value)
    assert message.startswith(f"{name} must be ") and message.endswith(".") and ". " not in message
    assert "Hunter2" not in message


@pytest.mark.parametrize("name, url", [
    ("REDIS_URL", "rediss://:Hunter2SuperSecretPw@redis.example:6380/0"), ("REDIS_URL", "unix:///run/redis.sock?db=1"),
    ("MONGODB_URL", "mongodb://app:Hunter2%2Fx@db1.example,db2.example/pc?replicaSet=rs0&tls=true"),
    ("MONGODB_URL", "mongodb+srv://app:Hunter2@cluster0.abcde.mongodb.net/pc?retryWrites=true"),
])
def test_every_url_the_clients_accept_loads_without_a_connection(name, url):
    assert load_config(environ={name: url})[name] == url


def test_an_app_builds_with_redis_on_a_unix_socket(app_config, tmp_path):
    from pc_app import create_app

    socket_url = f"unix://{tmp_path}/redis.sock?db=0"
    assert create_app({**app_config, "REDIS_URL": socket_url}).config["REDIS_URL"] == socket_url


# --- credentials in production: placeholders, development defaults and short values, per setting ---

PLUGIN_CREDENTIALS = {"HUBSPOT_CLIENT_ID": "5f0c2a8e-3b7d-4c1e-9a6f-2d8b4e7c1a93",
                      "HUBSPOT_CLIENT_SECRET": "a7c3e9f1-6b2d-4f8a-8e5c-1d9b7f3a2c64",
                      "HUBSPOT_APP_SECRET": "e2b8d4a6-9c1f-4e3b-a7d5-6f0c8b2e4a17",
                      "STRIPE_SECRET_KEY": "sk_live_51Hx9QzLmN4pR7tV2wY8bC3dF6gJ0kS5",
                      "STRIPE_WEBHOOK_SECRET": "whsec_Q3mZ8vK1pX7rT4wN9bL2cF6hJ0dS5gY8"}


def _plugin_settings():
    from pc_app.plugins import build_plugin_manager, plugin_settings

    return plugin_settings(*build_plugin_manager(["registration", "hubspot", "marketplace", "payments"]))


def _production_refusal(**changes) -> str:
    with pytest.raises(ConfigError) as refused:
        load_config(extra_settings=_plugin_settings(), environ={**PRODUCTION, **PLUGIN_CREDENTIALS, **changes})
    message = str(refused.value)
    assert message.endswith(".") and ". " not in message, message  # one sentence
    return message


def _sandbox_credentials() -> list[tuple[str, str]]:
    """The credentials `pc-app dev` and the tests give the app for each sandbox."""
    from pc_app.sandboxes import SANDBOXES

    return [(name, value) for spec in SANDBOXES.values()
            for name, value in spec.launcher.app_settings("http://127.0.0.1:9", {}).items() if name in PLUGIN_CREDENTIALS]


def test_production_loads_with_real_looking_plugin_credentials():
    config = load_config(extra_settings=_plugin_settings(), environ={**PRODUCTION, **PLUGIN_CREDENTIALS,
                                                                     "METRICS_TOKEN": "9c" * 16})
    assert config["STRIPE_SECRET_KEY"] == PLUGIN_CREDENTIALS["STRIPE_SECRET_KEY"]


@pytest.mark.parametrize("name", [*PLUGIN_CREDENTIALS, "MAILGUN_API_KEY", "METRICS_TOKEN", "INITIAL_OWNER_PASSWORD"])
@pytest.mark.parametrize("placeholder", ["REPLACE_ME", "replace-with-the-real-one-0123456789abcdef", "…"])
def test_production_refuses_a_placeholder_naming_the_setting(name, placeholder):
    assert _production_refusal(**{name: placeholder}) == \
        f"{name} is a placeholder or a development default: production needs the real value."


def test_production_refuses_the_configmaps_hubspot_client_id_placeholder():
    assert _production_refusal(HUBSPOT_CLIENT_ID="REPLACE_WITH_HUBSPOT_APP_CLIENT_ID").startswith(
        "HUBSPOT_CLIENT_ID is a placeholder")


@pytest.mark.parametrize("name, value", _sandbox_credentials())
def test_production_refuses_the_sandboxes_development_credentials(name, value):
    assert _production_refusal(**{name: value}).startswith(f"{name} is a placeholder or a development default")


@pytest.mark.parametrize("name, value", [("HUBSPOT_CLIENT_SECRET", "client-secret"), ("STRIPE_SECRET_KEY", "sk_live_x"),
                                         ("STRIPE_WEBHOOK_SECRET", "whsec_short"), ("METRICS_TOKEN", "x"),
                                         ("MAILGUN_API_KEY", "key-123")])
def test_production_refuses_a_credential_too_short_to_be_real(name, value):
    assert _production_refusal(**{name: value}).startswith(f"{name} is too short: production needs a value of at "
                                                           f"least 32 characters")


def test_production_refuses_a_metrics_token_of_one_repeated_character():
    assert _production_refusal(METRICS_TOKEN="x" * 40).startswith("METRICS_TOKEN is one character repeated")


@pytest.mark.parametrize("name, url", [("MONGODB_URL", "mongodb+srv://USER:PASSWORD@cluster0.abcde.mongodb.net/pc"),
                                       ("REDIS_URL", "rediss://:PASSWORD@redis.example:6380/0"),
                                       ("REDIS_URL", "rediss://:REPLACE_ME@redis.example:6380/0")])
def test_production_refuses_the_examples_placeholder_password_in_a_service_url(name, url):
    message = _production_refusal(**{name: url})
    assert message == f"{name} holds the example's placeholder password: production needs the real one."


def test_development_takes_the_sandbox_credentials_and_an_empty_metrics_token_is_still_allowed():
    settings = dict(_sandbox_credentials())
    assert load_config(extra_settings=_plugin_settings(), environ=settings)["HUBSPOT_CLIENT_ID"] == \
        settings["HUBSPOT_CLIENT_ID"]
    assert load_config(extra_settings=_plugin_settings(),
                       environ={**PRODUCTION, **PLUGIN_CREDENTIALS, "METRICS_TOKEN": ""})["METRICS_TOKEN"] == ""


@pytest.mark.parametrize("level", ["verbose", "10", "warn ing", ""])
def test_an_unknown_log_level_is_refused_naming_the_accepted_ones(level):
    with pytest.raises(ConfigError) as refused:
        load_config(environ={"LOG_LEVEL": level})
    assert str(refused.value) == f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {level!r}."


@pytest.mark.parametrize("level", ["debug", "INFO", "Warning", "ERROR", "critical"])
def test_log_level_names_are_read_in_any_case(level):
    assert load_config(environ={"LOG_LEVEL": level})["LOG_LEVEL"] == level
