"""Rate limits kept in Redis (flask-limiter), so they hold across gunicorn workers and pods."""
from __future__ import annotations

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, headers_enabled=True, strategy="fixed-window")


def init_rate_limits(app) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"])
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "pc:ratelimit")
    limiter.init_app(app)


def setting(name: str):
    """A limit read from the app's config at request time, e.g. ``setting("RATELIMIT_SIGN_IN")``."""
    return lambda: current_app.config[name]


def email_in_body() -> str:
    """Key a limit on the e-mail address in the JSON body (per-account limits)."""
    body = request.get_json(silent=True) or {}
    email = body.get("email") if isinstance(body, dict) else None
    return f"email:{str(email).strip().lower()}" if email else f"ip:{get_remote_address()}"
