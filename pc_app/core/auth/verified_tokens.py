"""Tokens whose signature this process has verified, so a client's next request with the same token is not verified again.

flask-jwt-extended parses a bearer token four times a request and checks its HMAC once; with
PyJWT's per-character check of every segment, that was a fifth of a kept list page's time.
A token's bytes, signed with a secret, verify the same way every time, so the claims of a
token that passed every check are kept here, per app (tests run apps with different secrets in
one process), and handed out again (a copy) while the token has not expired. What a token's
signature cannot tell is still asked on every request: the session (signed out, rotated,
revoked) and the user (deactivated, role changed), in ``pc_app.auth``.

Only what passed is kept: a forged, malformed or expired token is parsed and refused every
time, as before. Past ``exp`` an entry is dropped and the token goes through the full
decode, which refuses it with the usual 401. The memory is bounded: past ``SIZE`` tokens the
oldest go first.
"""
from __future__ import annotations

import datetime as dt
import threading
import time

from flask import current_app
from flask_jwt_extended import JWTManager

# Tokens kept per app and process: about 2 KB each, and one per signed-in client of this worker.
SIZE = 4096
_EXTENSION = "pc.verified_tokens"


class VerifiedTokens:
    """Claims of the tokens that passed every check, oldest first, at most ``size``."""

    def __init__(self, size: int = SIZE):
        self.size = size
        self._claims: dict[str, dict] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._claims)

    def get(self, token: str, leeway: float) -> dict | None:
        """The kept claims of ``token`` (a copy: callers add to them), or None if unknown or expired."""
        claims = self._claims.get(token)
        if claims is None:
            return None
        expires = claims.get("exp")
        if expires is not None and expires <= time.time() - leeway:
            with self._lock:
                self._claims.pop(token, None)
            return None  # the full decode refuses it, with the expired-token answer
        return dict(claims)

    def keep(self, token: str, claims: dict) -> None:
        with self._lock:
            while len(self._claims) >= self.size:
                self._claims.pop(next(iter(self._claims)))
            self._claims[token] = dict(claims)


def of_app(app) -> VerifiedTokens:
    """The app's kept tokens (``RememberingJWTManager.init_app`` made them)."""
    return app.extensions[_EXTENSION]


class RememberingJWTManager(JWTManager):
    """flask-jwt-extended's manager, verifying a header token once per process (see the module)."""

    def init_app(self, app, add_context_processor: bool = False) -> None:
        super().init_app(app, add_context_processor)
        app.extensions[_EXTENSION] = VerifiedTokens()

    def _decode_jwt_from_config(self, encoded_token: str, csrf_value=None, allow_expired: bool = False) -> dict:
        if csrf_value is not None or allow_expired:
            return super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        kept = of_app(current_app)
        leeway = current_app.config["JWT_DECODE_LEEWAY"]
        claims = kept.get(encoded_token, leeway.total_seconds() if isinstance(leeway, dt.timedelta) else leeway)
        if claims is None:
            claims = super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
            kept.keep(encoded_token, claims)
        return claims
