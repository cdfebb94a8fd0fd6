"""Rate limits kept in Redis (flask-limiter), so they hold across gunicorn workers and pods."""
from __future__ import annotations

from flask import current_app, has_app_context, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

class AppBoundLimiter(Limiter):
    """One Limiter for the route decorators, but each app counts in its own storage.

    flask-limiter keeps the storage on the Limiter itself, so the last app to call
    ``init_app`` would otherwise count for every app in the process (tests build several
    apps side by side, with different Redis servers).
    """

    def init_app(self, app) -> None:
        super().init_app(app)
        if app.config["RATELIMIT_ENABLED"]:
            app.extensions["pc_ratelimit"] = (self._storage, self._limiter)

    # Whether limits apply is each app's setting too (RATELIMIT_ENABLED): flask-limiter keeps one flag
    # on the Limiter, so an app built without limits would switch them off for every later app.
    @property
    def enabled(self) -> bool:
        if has_app_context():
            return bool(current_app.config.get("RATELIMIT_ENABLED", True))
        return self._enabled_outside_apps

    @enabled.setter
    def enabled(self, value: bool) -> None:
        self._enabled_outside_apps = value

    def _bound(self):
        if has_app_context():
            return current_app.extensions.get("pc_ratelimit")
        return None

    @property
    def storage(self):
        bound = self._bound()
        return bound[0] if bound else super().storage

    @property
    def limiter(self):
        bound = self._bound()
        return bound[1] if bound else super().limiter


limiter = AppBoundLimiter(key_func=get_remote_address, headers_enabled=True, strategy="fixed-window")


def init_rate_limits(app) -> None:
    redis_url = app.config["REDIS_URL"]
    # limits names a socket redis+unix:// where redis-py (and REDIS_URL) says unix://.
    app.config.setdefault("RATELIMIT_STORAGE_URI", "redis+" + redis_url if redis_url.startswith("unix://") else redis_url)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "pc:ratelimit")
    app.config.setdefault("RATELIMIT_ENABLED", True)

    # Registered before the limiter's own hook so that it runs after it (Flask calls them last-registered
    # first): flask-limiter writes Retry-After, the seconds until the window resets, on every answer of a
    # limited route, so a successful sign-in said "Retry-After: 60". Only a refusal (429, 503) says when to
    # try again; X-RateLimit-Remaining and -Reset still tell a client what is left.
    @app.after_request
    def _retry_after_only_on_refusals(response):
        if response.status_code < 400:
            response.headers.pop("Retry-After", None)
        return response

    limiter.init_app(app)


def setting(name: str):
    """A limit read from the app's config at request time, e.g. ``setting("RATELIMIT_SIGN_IN")``."""
    return lambda: current_app.config[name]


def email_in_body() -> str:
    """Key a limit on the e-mail address in the JSON body (per-account limits).

    The body comes from the one guarded reader; a refused body (too deep, a lone surrogate...)
    counts against the client's address here, and the argument parser answers the refusal.
    """
    from .request_body import read_json_or_none

    body = read_json_or_none() if request.is_json else None
    email = body.get("email") if isinstance(body, dict) else None
    if isinstance(email, str) and email.strip():
        return f"email:{email.strip().lower()[:254]}"
    return f"ip:{get_remote_address()}"


def limit_per_address_and_email(setting_name: str):
    """Decorate a public route with the same limit counted per client address and per e-mail.

    The second count stops one account being hammered from many addresses.
    """
    def decorate(view):
        view = limiter.limit(setting(setting_name), key_func=email_in_body)(view)
        return limiter.limit(setting(setting_name))(view)
    return decorate
