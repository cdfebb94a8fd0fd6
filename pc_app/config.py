"""Settings read from the environment, validated once at start-up so a bad deploy fails fast."""
from __future__ import annotations

import ipaddress
import logging
import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

log = logging.getLogger("pc_app.config")

_DEV_SECRET = "dev-insecure-secret-change-me-0000000000000000"
_DEV_ENCRYPTION_KEY = "00" * 32


@dataclass(frozen=True)
class Setting:
    """A setting of the core (``CORE_SETTINGS``) or of a plugin (``pc_config_defaults``).

    :param default: the value when the environment does not set it.
    :param kind: ``str``, ``int``, ``float``, ``bool`` or ``list`` (comma-separated).
    :param aliases: older names still read (with a warning) when the new name is not set.
    :param secret: never printed (``pc-app config``, logs).
    :param required_in_production: production refuses to start while it is empty.
    :param min_length: production refuses a value (when one is set) that is shorter; a secret or a required
        setting is also refused when it is a placeholder or a development default (``credential_problem``).
    """
    default: object
    kind: str = "str"
    aliases: tuple = ()
    secret: bool = False
    required_in_production: bool = False
    description: str = ""
    min_length: int = 0


def as_setting(declared) -> Setting:
    """Plugins may still declare ``(default, kind)`` pairs."""
    if isinstance(declared, Setting):
        return declared
    default, kind = declared
    return Setting(default, kind)


# name -> Setting or (default, kind). Kinds: str, int, float, bool, list. Plugins add their own via
# pc_config_defaults. Credentials are Settings: what production asks of them is declared there.
CORE_SETTINGS: dict[str, Setting | tuple[object, str]] = {
    "PC_ENV": ("development", "str"),
    "PC_PLUGINS": ("", "list"),
    "MONGODB_URL": ("mongodb://127.0.0.1:27017/partner_connector", "str"),
    "MONGODB_DB": ("", "str"),
    "REDIS_URL": ("redis://127.0.0.1:6379/0", "str"),
    "JWT_SECRET": Setting(_DEV_SECRET, secret=True, required_in_production=True, min_length=32),
    "JWT_ACCESS_MINUTES": (30, "int"),
    "JWT_REFRESH_DAYS": (30, "int"),
    "CRON_SECRET": Setting(_DEV_SECRET, secret=True, required_in_production=True, min_length=32),
    "ENCRYPTION_KEY": Setting(_DEV_ENCRYPTION_KEY, secret=True, required_in_production=True, min_length=64),
    "ENCRYPTION_KEYS_OLD": Setting("", "list", secret=True),
    "FRONTEND_URL": ("http://localhost:3001", "str"),
    "CORS_ORIGINS": ("http://localhost:3001", "list"),
    "MAIL_BACKEND": ("outbox", "str"),
    # Mailgun's keys are 36 (key-...) or 50 characters long.
    "MAILGUN_API_KEY": Setting("", secret=True, min_length=32),
    "MAILGUN_DOMAIN": ("", "str"),
    "MAILGUN_API_BASE": ("https://api.mailgun.net", "str"),
    "MAIL_FROM": ("Partner Connector <no-reply@partner-connector.local>", "str"),
    "RATELIMIT_SIGN_IN": ("10 per minute", "str"),
    "RATELIMIT_PUBLIC": ("5 per minute", "str"),
    "PASSWORD_RESET_MINUTES": (60, "int"),
    "INVITE_HOURS": (72, "int"),
    "LEADS_IMPORT_MAX_BYTES": (5 * 1024 * 1024, "int"),
    "LEADS_IMPORT_MAX_ROWS": (50_000, "int"),
    "LEADS_IMPORT_INLINE_ROWS": (500, "int"),
    "INITIAL_OWNER_EMAIL": ("owner@partner-connector.local", "str"),
    "INITIAL_OWNER_PASSWORD": Setting("", secret=True),  # its strength is checked by pc-app seed-owner
    "INITIAL_OWNER_NAME": ("Platform Owner", "str"),
    # Addresses or CIDR networks of the proxies in front of the app (the ingress controller);
    # only they may say who the client is (X-Forwarded-For). Empty: the socket's peer is the client.
    "TRUSTED_PROXY_ADDRESSES": ("", "list"),
    "LOG_LEVEL": ("INFO", "str"),
    # List totals are counted up to this many; beyond it they answer totalCapped=true ("1,000+").
    "LIST_COUNT_CAP": (1000, "int"),
    # A counted total is reused until the next write to its collection, or this many seconds.
    "LIST_COUNT_CACHE_SECONDS": (300, "int"),
    # A list's JSON answer is reused until the next write to its collection through the app, or
    # this many seconds (a change made outside the app); 0: dump every page again.
    "LIST_PAGE_CACHE_SECONDS": (30, "int"),
    # The signed-in user and partner are reused until the next write to their collection through
    # the app, or this many seconds (a change made outside the app, e.g. with mongosh); 0: read each request.
    "AUTH_STATE_CACHE_SECONDS": (30, "int"),
    # Bearer token Prometheus sends to read /metrics; empty disables the route (it answers 404).
    "METRICS_TOKEN": Setting("", secret=True, min_length=32),
    # A durable event handler running longer than this is presumed dead and retried.
    "EVENTS_LEASE_SECONDS": (300, "int"),
    # First retry of a failed durable delivery; each next one waits twice as long (capped at 1 h).
    "EVENTS_RETRY_BASE_SECONDS": (5, "float"),
}

# The core's secret settings: never printed, and their values are redacted from every log line.
CORE_SECRETS = tuple(name for name, declared in CORE_SETTINGS.items() if as_setting(declared).secret)

# What stands in for a credential in our examples (k8s/secret.example.yaml's REPLACE_ME, k8s/configmap.yaml's
# REPLACE_WITH_..., the docs' '…') and in development stacks (the core's defaults, the HubSpot and Stripe
# sandboxes' pc-sandbox-... and ..._pcsandbox_... keys): production refuses a credential that contains one.
PLACEHOLDER_MARKERS = ("replace", "change-me", "changeme", "pcsandbox", "pc-sandbox", "…")

# What LOG_LEVEL may name, in any case (gunicorn.conf.py passes it to gunicorn's loglevel too).
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


# Settings no longer read, and the sentence that says what replaces them.
OBSOLETE_SETTINGS = {
    "TRUSTED_PROXIES": "TRUSTED_PROXIES (a hop count) is no longer read, because a count cannot tell a proxy "
                       "from a client: list the ingress controller's addresses or CIDR networks in "
                       "TRUSTED_PROXY_ADDRESSES instead.",
}


class ConfigError(RuntimeError):
    """Raised at start-up when a setting is missing or invalid; the message names the variable."""


def gather_plugin_settings(contributions) -> dict[str, Setting]:
    """Merge the plugins' declarations, refusing a name that two owners claim or that lacks its prefix.

    :param contributions: ``(plugin_name, prefixes, {NAME: Setting | (default, kind)})`` per plugin.
    :raises ConfigError: one sentence naming the setting and both owners, or the expected prefix.
    """
    owners: dict[str, str] = {name: "the core" for name in CORE_SETTINGS}
    merged: dict[str, Setting] = {}
    for plugin_name, prefixes, declared in contributions:
        for name, value in (declared or {}).items():
            if name in owners:
                raise ConfigError(f"Setting {name} is declared by both {owners[name]} and plugin '{plugin_name}'; "
                                  f"plugin settings carry the plugin's prefix ({prefixes[0]}...).")
            if not name.startswith(tuple(prefixes)):
                raise ConfigError(f"Setting {name} of plugin '{plugin_name}' must start with "
                                  f"{' or '.join(prefixes)}.")
            owners[name] = f"plugin '{plugin_name}'"
            merged[name] = as_setting(value)
    aliases = {alias: name for name, setting in merged.items() for alias in setting.aliases}
    for alias, name in aliases.items():
        if alias in owners:
            raise ConfigError(f"Setting {name} reads the old name {alias}, which {owners[alias]} declares.")
    return merged


def _parse(name: str, raw: str, kind: str):
    if kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, got {raw!r}.") from None
    if kind == "float":
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number, got {raw!r}.") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise ConfigError(f"{name} must be a finite number, got {raw!r}.")
        return value
    if kind == "bool":
        low = raw.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off", ""):
            return False
        raise ConfigError(f"{name} must be true or false, got {raw!r}.")
    if kind == "list":
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def load_config(overrides: dict | None = None, extra_settings: dict | None = None,
                environ: dict | None = None) -> dict:
    """Build the settings dict: defaults, then the environment, then explicit overrides."""
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    settings = {name: as_setting(value) for name, value in CORE_SETTINGS.items()}
    settings.update({name: as_setting(value) for name, value in (extra_settings or {}).items()})
    config: dict = {}
    for name, setting in settings.items():
        default, kind = setting.default, setting.kind
        old_name = next((alias for alias in setting.aliases if alias in overrides or alias in environ), None)
        if name in overrides:
            config[name] = overrides.pop(name)
        elif name in environ:
            config[name] = _parse(name, environ[name], kind)
        elif old_name is not None:
            log.warning("setting %s is read from its old name %s; rename it before the next release", name, old_name)
            config[name] = overrides.pop(old_name) if old_name in overrides else _parse(old_name, environ[old_name], kind)
        else:
            config[name] = list(default) if isinstance(default, list) else default
        if kind == "list" and isinstance(config[name], str):
            # defaults and overrides may be written as a comma string, like the environment
            config[name] = _parse(name, config[name], kind)
    config.update(overrides)
    for name, sentence in OBSOLETE_SETTINGS.items():
        # Refused only while its replacement is missing: an upgrade must not silently drop the setting.
        given = config.get(name, environ.get(name))
        if given not in (None, "", 0, "0") and not config.get("TRUSTED_PROXY_ADDRESSES"):
            raise ConfigError(sentence)
    validate_config(config, settings)
    return config


def validate_config(config: dict, settings: dict[str, Setting]) -> None:
    """Refuse settings that would make the service unsafe or broken, naming the variable."""
    if config["PC_ENV"] not in ("development", "test", "production"):
        raise ConfigError("PC_ENV must be development, test or production.")
    check_redis_url(config["REDIS_URL"])
    check_mongodb_url(config["MONGODB_URL"])
    key = config["ENCRYPTION_KEY"]
    if not re.fullmatch(r"[0-9a-fA-F]{64}", key or ""):
        raise ConfigError("ENCRYPTION_KEY must be 64 hexadecimal characters (32 bytes).")
    for old in config.get("ENCRYPTION_KEYS_OLD") or []:
        if not re.fullmatch(r"[0-9a-fA-F]{64}", old):
            raise ConfigError("ENCRYPTION_KEYS_OLD must be a comma list of 64-hex-character keys.")
    if config["PC_ENV"] == "production":
        validate_production(config, settings)
    if config["MAIL_BACKEND"] not in ("outbox", "mailgun"):
        raise ConfigError("MAIL_BACKEND must be outbox or mailgun.")
    if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", config["FRONTEND_URL"] or ""):
        raise ConfigError(f"FRONTEND_URL must be an http(s) URL like https://app.example.com, "
                          f"got {config['FRONTEND_URL']!r}.")
    for origin in config["CORS_ORIGINS"]:
        if origin != "*" and not re.fullmatch(r"https?://[^\s/?#]+", origin):
            raise ConfigError(f"CORS_ORIGINS must list origins like https://app.example.com (no path), "
                              f"got {origin!r}.")
    for entry in config.get("TRUSTED_PROXY_ADDRESSES") or []:
        try:
            ipaddress.ip_network(entry)  # strict, like gunicorn: 10.0.0.5/8 is a typo for 10.0.0.0/8
        except ValueError:
            raise ConfigError(f"TRUSTED_PROXY_ADDRESSES must list IP addresses or CIDR networks like 10.0.0.0/8, "
                              f"got {entry!r}.") from None
    level = config["LOG_LEVEL"]
    if not isinstance(level, int) and str(level).strip().upper() not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be {', '.join(LOG_LEVELS[:-1])} or {LOG_LEVELS[-1]}, got {level!r}.")
    for name in ("JWT_ACCESS_MINUTES", "JWT_REFRESH_DAYS", "PASSWORD_RESET_MINUTES", "INVITE_HOURS",
                 "LEADS_IMPORT_MAX_BYTES", "LEADS_IMPORT_MAX_ROWS", "LEADS_IMPORT_INLINE_ROWS"):
        if not isinstance(config[name], int) or config[name] <= 0:
            raise ConfigError(f"{name} must be a positive whole number.")


def _scheme_shown(url: str) -> str:
    """Only the scheme of a refused URL, to name it: the rest may carry a password."""
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]{0,19})://", url)
    return f"a {match.group(1)}:// URL" if match else "a value without a scheme"


def parse_mongodb_url(url: str) -> dict:
    """``MONGODB_URL`` read as pymongo reads it, without a DNS lookup for ``mongodb+srv://`` (what MongoClient
    itself checks before it resolves the host); raises pymongo's ``InvalidURI`` or ``ConfigurationError``."""
    from pymongo.uri_parser_shared import _validate_uri

    return _validate_uri(url)


def check_redis_url(url: str) -> str:
    """Refuse a REDIS_URL redis-py cannot read, before any client meets it: its errors quote the whole URL,
    password included."""
    from redis.connection import parse_url

    try:
        parse_url(url or "")
    except (ValueError, TypeError):
        raise ConfigError(f"REDIS_URL must be a redis://, rediss:// or unix:// URL that redis-py can read, like "
                          f"rediss://:PASSWORD@HOST:6380/0 with the password percent-encoded; got "
                          f"{_scheme_shown(url or '')}.") from None
    return url


def check_mongodb_url(url: str) -> str:
    """Refuse a MONGODB_URL pymongo cannot read, for the same reason."""
    from pymongo.errors import ConfigurationError as MongoConfigurationError

    try:
        parse_mongodb_url(url or "")
    except (MongoConfigurationError, ValueError, TypeError):  # InvalidURI is a ConfigurationError
        raise ConfigError(f"MONGODB_URL must be a mongodb:// or mongodb+srv:// connection string that pymongo can "
                          f"read, like mongodb+srv://USER:PASSWORD@CLUSTER/partner_connector with the user and "
                          f"password percent-encoded; got {_scheme_shown(url or '')}.") from None
    return url


def is_placeholder(value: str) -> bool:
    """Whether ``value`` stands in for a credential (``PLACEHOLDER_MARKERS``, the core's development defaults)."""
    return value in (_DEV_SECRET, _DEV_ENCRYPTION_KEY) or any(marker in value.lower() for marker in PLACEHOLDER_MARKERS)


def credential_problem(name: str, value, setting: Setting) -> str | None:
    """Why production refuses this setting's value, in one sentence that names it and never shows the value;
    None when it may be used. Only secrets, required settings and settings with a ``min_length`` are asked."""
    if not (setting.secret or setting.required_in_production or setting.min_length) or isinstance(value, list):
        return None  # a list (ENCRYPTION_KEYS_OLD) is checked for its form in validate_config
    text = str(value or "")
    if not text:
        needed_by = "" if name in CORE_SETTINGS else " (an enabled plugin needs it)"
        return f"{name} is required in production{needed_by}." if setting.required_in_production else None
    if is_placeholder(text):
        return f"{name} is a placeholder or a development default: production needs the real value."
    if len(text) < setting.min_length:
        return f"{name} is too short: production needs a value of at least {setting.min_length} characters."
    if setting.min_length and len(set(text)) == 1:
        return (f"{name} is one character repeated: production needs a random value of at least "
                f"{setting.min_length} characters.")
    return None


def validate_production(config: dict, settings: dict[str, Setting]) -> None:
    """What production refuses on top of the general checks: guessable credentials and insecure exposure."""
    for name, setting in settings.items():
        problem = credential_problem(name, config.get(name), setting)
        if problem:
            raise ConfigError(problem)
    for name in ("MONGODB_URL", "REDIS_URL"):
        password = urlsplit(config[name]).password
        if password and (is_placeholder(password) or password.lower() == "password"):
            raise ConfigError(f"{name} holds the example's placeholder password: production needs the real one.")
    if config["JWT_SECRET"] == config["CRON_SECRET"]:
        raise ConfigError("JWT_SECRET and CRON_SECRET must be two different random values, so that knowing one "
                          "never opens what the other protects.")
    if "*" in config["CORS_ORIGINS"]:
        raise ConfigError("CORS_ORIGINS='*' lets any web site call the API from its visitors' browsers: "
                          "production needs the frontend's origins, like https://app.example.com.")
    if not str(config["FRONTEND_URL"]).startswith("https://"):
        raise ConfigError(f"FRONTEND_URL must start with https:// in production, because the links in our "
                          f"mails carry single-use tokens; got {config['FRONTEND_URL']!r}.")
    if config["MAIL_BACKEND"] == "mailgun" and not (config["MAILGUN_API_KEY"] and config["MAILGUN_DOMAIN"]):
        raise ConfigError("MAILGUN_API_KEY and MAILGUN_DOMAIN are required when MAIL_BACKEND=mailgun.")
    if config["MAIL_BACKEND"] == "outbox":
        raise ConfigError("MAIL_BACKEND=outbox keeps mail in the database; production needs mailgun.")


@dataclass(frozen=True)
class DatabaseTarget:
    """Where MongoDB lives and which database to use."""
    url: str
    name: str


def database_target(config: dict) -> DatabaseTarget:
    """The database name comes from MONGODB_DB, else from the URL path, else a default."""
    name = config.get("MONGODB_DB") or parse_mongodb_url(config["MONGODB_URL"]).get("database") or "partner_connector"
    return DatabaseTarget(url=config["MONGODB_URL"], name=name)
