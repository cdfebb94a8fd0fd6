"""Tokens whose signature this process has verified, so a client's next request with the same token is not verified again.

flask-jwt-extended parses a bearer token four times a request and checks its HMAC once; with
PyJWT's per-character check of every segment, that was a fifth of a kept list page's time.
A token's bytes, signed with a secret, verify the same way every time, so the claims and header
of a token that passed every check are kept here, per app (tests run apps with different
secrets in one process), and handed out again (a copy) while the token has not expired.
``verify_in_request`` then takes a kept token straight to the checks its bytes cannot answer:
the session (signed out, rotated, revoked) and the user (deactivated, role changed), asked
on every request through the same flask-jwt-extended callbacks (``pc_app.auth``).

Only what passed is kept: a forged, malformed or expired token is parsed and refused every
time, as before. Past ``exp`` an entry is dropped and the token goes through the full
decode, which refuses it with the usual 401. The memory is bounded: past ``SIZE`` tokens the
oldest go first.
"""
from __future__ import annotations

import datetime as dt
import time

import jwt as pyjwt
from flask import current_app, g, request
from flask_jwt_extended import JWTManager, verify_jwt_in_request
from flask_jwt_extended.exceptions import UserLookupError
from flask_jwt_extended.internal_utils import (custom_verification_for_token, user_lookup,
                                               verify_token_not_blocklisted, verify_token_type)

from ...bounded_memory import BoundedMemory

_EXTENSION = "pc.verified_tokens"


class VerifiedTokens(BoundedMemory):
    """The claims and header of each token that passed every check, oldest first, at most ``size``."""

    SIZE = 4096  # per app and process: about 2 KB each, and one per signed-in client of this worker

    def get(self, token: str, leeway: float) -> tuple[dict, dict] | None:
        """The kept ``(claims, header)`` of ``token`` (copies: callers add to them), or None if unknown or expired."""
        kept = self.entries.get(token)
        if kept is None:
            return None
        claims, header = kept
        expires = claims.get("exp")
        if expires is not None and expires <= time.time() - leeway:
            self.drop(token)
            return None  # the full decode refuses it, with the expired-token answer
        return dict(claims), dict(header)

    def keep(self, token: str, claims: dict, header: dict) -> None:
        self.put(token, (dict(claims), dict(header)))


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
        found = kept.get(encoded_token, _leeway())
        if found is not None:
            return found[0]
        claims = super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        # Its signature checked just now, the header parses: read once here, not on every request.
        kept.keep(encoded_token, claims, pyjwt.get_unverified_header(encoded_token))
        return claims


def _leeway() -> float:
    leeway = current_app.config["JWT_DECODE_LEEWAY"]
    return leeway.total_seconds() if isinstance(leeway, dt.timedelta) else leeway


def _kept_from_header() -> tuple[dict, dict] | None:
    """The kept claims and header of the request's bearer token, if the header is exactly "<type> <kept token>".

    Only a token whose signature verified is kept, and such a token is JWT's compact form
    (base64url segments joined by dots): no comma, no space. So whatever follows the type is looked
    up as it is: it is found only when it is one kept token alone, which is also what the library's
    parse of this header (strip, split on commas, take the typed part, split on whitespace) gives.
    Any other header (another type, extra parts, other spacing) is not found and takes the
    library's path.
    """
    config = current_app.config
    value = request.headers.get(config["JWT_HEADER_NAME"])
    prefix = config["JWT_HEADER_TYPE"] + " "
    if list(config["JWT_TOKEN_LOCATION"]) != ["headers"] or not value or not value.startswith(prefix):
        return None
    return of_app(current_app).get(value[len(prefix):], _leeway())


def verify_in_request(refresh: bool = False) -> None:
    """``verify_jwt_in_request(refresh=refresh)``, without parsing again a token this process has verified.

    A kept token goes through the library's own checks of what its bytes cannot tell (its type,
    the blocklist callback, the verification callback, the user lookup), raising the same
    errors, and leaves the same request state behind for ``get_jwt``/``get_current_user``.
    Anything else (no header, another shape, an unknown or expired token) takes the library's
    whole path, which answers it and keeps a token that passes.
    """
    # No OPTIONS exemption here: Flask answers OPTIONS before any view, and one sent with a kept
    # token to a view that handled OPTIONS would only have that token checked.
    found = _kept_from_header()
    if found is None:
        verify_jwt_in_request(refresh=refresh)
        return
    claims, header = found
    verify_token_type(claims, refresh)
    verify_token_not_blocklisted(header, claims)
    custom_verification_for_token(header, claims)
    user = user_lookup(header, claims)
    if user is None:
        identity = claims.get(current_app.config["JWT_IDENTITY_CLAIM"])
        raise UserLookupError(f"user_lookup returned None for {identity}", header, claims)
    g._jwt_extended_jwt_user = {"loaded_user": user}
    g._jwt_extended_jwt_header = header
    g._jwt_extended_jwt = claims
    g._jwt_extended_jwt_location = "headers"
