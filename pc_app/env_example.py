"""``.env.example`` generated from the declared settings: every variable the core and the plugins read."""
from __future__ import annotations

# One line on each core setting; plugins describe theirs with ``Setting(description=...)``.
CORE_DESCRIPTIONS = {
    "PC_ENV": "development (enables /dev/outbox), test or production (refuses weak or missing secrets)",
    "PC_PLUGINS": "comma list of plugins to enable; empty enables every installed plugin",
    "MONGODB_URL": "MongoDB connection string (Atlas in production)",
    "MONGODB_DB": "database name; empty takes it from MONGODB_URL's path",
    "REDIS_URL": "Redis: queues, rate limits, token revocation, locks, heartbeats, metrics counters",
    "JWT_SECRET": "signs access and refresh tokens (random: openssl rand -hex 32)",
    "JWT_ACCESS_MINUTES": "lifetime of an access token",
    "JWT_REFRESH_DAYS": "lifetime of a refresh token",
    "CRON_SECRET": "X-Cron-Secret of POST /v1/internal/cron/<job id> (random: openssl rand -hex 32)",
    "ENCRYPTION_KEY": "AES-256-GCM key for stored third-party tokens: 64 hex characters (openssl rand -hex 32)",
    "ENCRYPTION_KEYS_OLD": "comma list of previous keys, still readable during a rotation (pc-app rotate-keys)",
    "FRONTEND_URL": "where links in mails point",
    "CORS_ORIGINS": "comma list of origins allowed to call the API",
    "MAIL_BACKEND": "outbox (kept in the database, development) or mailgun",
    "MAILGUN_API_KEY": "Mailgun API key (MAIL_BACKEND=mailgun)",
    "MAILGUN_DOMAIN": "Mailgun sending domain",
    "MAILGUN_API_BASE": "Mailgun API address (https://api.eu.mailgun.net for the EU region)",
    "MAIL_FROM": "sender of every mail",
    "RATELIMIT_SIGN_IN": "sign-in attempts per address and per e-mail",
    "RATELIMIT_PUBLIC": "other public routes (password reset, invitations) per address",
    "PASSWORD_RESET_MINUTES": "lifetime of a password reset link",
    "INVITE_HOURS": "lifetime of an invitation link",
    "LEADS_IMPORT_MAX_BYTES": "largest CSV file a lead import accepts",
    "LEADS_IMPORT_MAX_ROWS": "most rows a lead import accepts",
    "LEADS_IMPORT_INLINE_ROWS": "imports up to this many rows run in the request; larger ones in a job",
    "INITIAL_OWNER_EMAIL": "the first platform owner (pc-app seed-owner)",
    "INITIAL_OWNER_PASSWORD": "the first platform owner's password (pc-app seed-owner)",
    "INITIAL_OWNER_NAME": "the first platform owner's name",
    "TRUSTED_PROXY_ADDRESSES": ("comma list of the addresses or CIDR networks of the proxies in front of the API "
                                "(the ingress controller) whose X-Forwarded-For is believed; empty: the peer is the client"),
    "LOG_LEVEL": "DEBUG, INFO, WARNING, ERROR or CRITICAL (any case); every process logs JSON lines on stderr",
    "LIST_COUNT_CAP": "list totals are counted up to this many; beyond it a list answers totalCapped=true",
    "LIST_COUNT_CACHE_SECONDS": "a counted list total is reused until the next write to its collection, or this long",
    "LIST_PAGE_CACHE_SECONDS": ("a list's JSON answer is reused until the next write to its collection through the app, "
                                "or this long (a change made outside the app); 0 dumps every page again"),
    "AUTH_STATE_CACHE_SECONDS": ("the signed-in user and partner are reused until the next write to them through the app, "
                                 "or this long (a change made outside the app); 0 reads them on every request"),
    "METRICS_TOKEN": "bearer token Prometheus sends to GET /metrics; empty disables /metrics",
    "EVENTS_LEASE_SECONDS": "a durable event handler running longer is presumed dead and retried",
    "EVENTS_RETRY_BASE_SECONDS": "first retry of a failed durable delivery; each next one waits twice as long",
}

# Read by gunicorn.conf.py (the API pods), not by the app.
GUNICORN_SETTINGS = {
    "PORT": ("3000", "port gunicorn listens on"),
    "WEB_CONCURRENCY": ("2", "gunicorn worker processes per pod"),
    "GUNICORN_THREADS": ("48", "threads per worker process (each open activity stream holds one)"),
    "GUNICORN_TIMEOUT": ("30", "seconds before a silent worker is restarted"),
    "GUNICORN_GRACEFUL_TIMEOUT": ("25", "seconds running requests get to finish on SIGTERM"),
    "GUNICORN_MAX_REQUESTS": ("2000", "requests before a worker is recycled"),
    "GUNICORN_BUILD_APP_IN_MASTER": ("1", "build the app once in the master and fork workers with it (0: in each worker)"),
    "GUNICORN_GC_FREEZE": ("1", "leave the app built in the master out of garbage collection (0: collect it too)"),
    "FORWARDED_ALLOW_IPS": ("127.0.0.1,::1", "addresses whose X-Forwarded-* headers gunicorn believes "
                                             "(default: TRUSTED_PROXY_ADDRESSES, else loopback)"),
    "PROMETHEUS_MULTIPROC_DIR": ("", "where workers share metrics; empty: a fresh directory in /dev/shm, removed "
                                     "when gunicorn stops"),
}


def _value(default, kind: str) -> str:
    if kind == "list" and not isinstance(default, str):  # a list default may be written as its comma string
        return ",".join(str(item) for item in (default or []))
    if kind == "bool":
        return "true" if default else "false"
    return "" if default is None else str(default)


def _lines(name: str, setting, description: str, secret: bool) -> list[str]:
    notes = [description] if description else []
    if secret:
        notes.append("secret: never commit a real value")
    if setting.required_in_production:
        notes.append("required in production")
    if setting.min_length:
        notes.append(f"at least {setting.min_length} characters in production")
    value = "" if secret else _value(setting.default, setting.kind)
    comment = [f"# {'; '.join(notes)}"] if notes else []
    return [*comment, f"#{name}={value}"]


def render_env_example(app) -> str:
    """The text of ``.env.example`` for ``app``'s core and enabled plugins (``pc-app env-example``)."""
    from .config import CORE_SECRETS, CORE_SETTINGS, as_setting
    from .plugins import call_hook

    out = ["# Every setting Partner Connector reads, with its default. Generated by `pc-app env-example`",
           "# (a test keeps it current). Uncomment a line to change it, then export the file into the",
           "# environment (set -a; . ./.env; set +a) or pass it to docker run --env-file.",
           "", "## core"]
    for name, declared in CORE_SETTINGS.items():
        out += _lines(name, as_setting(declared), CORE_DESCRIPTIONS.get(name, ""), name in CORE_SECRETS)
    for plugin_name, declared in call_hook(app.extensions["pc_plugin_manager"], "pc_config_defaults"):
        if not declared:
            continue
        out += ["", f"## plugin {plugin_name}"]
        for name, value in declared.items():
            setting = as_setting(value)
            out += _lines(name, setting, setting.description, setting.secret)
    out += ["", "## gunicorn (API pods; read by gunicorn.conf.py)"]
    for name, (default, description) in GUNICORN_SETTINGS.items():
        out += [f"# {description}", f"#{name}={default}"]
    return "\n".join(out) + "\n"
