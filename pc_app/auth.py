"""JWT tokens, the signed-in user and partner, and the access rules of PRODUCT.md §2.

A foreign partner's resources answer 404, never 403, so ids cannot be probed; platform-only
routes answer 403 to partner users. Every token belongs to a sign-in session kept in Redis
(``core.auth.sessions``): a token whose session has ended is refused.
"""
from __future__ import annotations

import datetime as dt
from functools import wraps

from flask import current_app, has_request_context, request
from flask_jwt_extended import (create_access_token, create_refresh_token, get_current_user, get_jwt,
                                verify_jwt_in_request)

from .api import BEARER, requires_security
from .errors import Forbidden, NotFound, error_body
from .core.auth import lent_documents, sessions, signed_in
from .core.auth.verified_tokens import RememberingJWTManager, verify_in_request
from .core.models import Partner, User
from .db import is_object_id

jwt = RememberingJWTManager()

# Set on the request when a rotated refresh token came back, so the 401 can say what happened.
_REUSE_FLAG = "pc.refresh_token_reused"
REUSE_MESSAGE = ("This refresh token has already been used, so its session has been ended for safety; "
                 "sign in again.")


def init_auth(app) -> None:
    app.config.update(
        JWT_SECRET_KEY=app.config["JWT_SECRET"],
        JWT_ACCESS_TOKEN_EXPIRES=dt.timedelta(minutes=app.config["JWT_ACCESS_MINUTES"]),
        JWT_REFRESH_TOKEN_EXPIRES=dt.timedelta(days=app.config["JWT_REFRESH_DAYS"]),
        JWT_TOKEN_LOCATION=["headers"],
        JWT_ERROR_MESSAGE_KEY="message",
    )
    jwt.init_app(app)
    signed_in.count_writes_per_document()
    lent_documents.install(app)


def _unauthorized(message: str):
    return error_body(401, message), 401, {"WWW-Authenticate": "Bearer"}


@jwt.user_identity_loader
def _identity(user):
    return str(user.id) if isinstance(user, User) else str(user)


@jwt.additional_claims_loader
def _claims(user):
    if not isinstance(user, User):
        return {}
    return {"role": user.role, "partnerId": str(user.partner) if user.partner else None,
            "isPartnerOwner": bool(user.is_partner_owner), "sv": user.session_version or 0}


@jwt.user_lookup_loader
def _lookup_user(_header, payload):
    user = signed_in.load(User, payload.get("sub"))
    if user is None or not user.is_active:
        return None
    if payload.get("sv", 0) != (user.session_version or 0):
        return None
    return user


def session_is_live(claims: dict) -> bool:
    """Whether the session a token's claims belong to is still open (not signed out or revoked)."""
    return sessions.live_refresh_jti(claims.get("sid")) is not None


@jwt.token_in_blocklist_loader
def _is_revoked(_header, payload) -> bool:
    """Refused: a token of an ended session (or without one), or a refresh token that was rotated."""
    live = signed_in.live_refresh_jti(payload)  # also fetches the kept user and partner, in the same round trip
    if live is None:
        return True
    if payload.get("type") == "refresh" and live != payload.get("jti"):
        sessions.end_session(payload["sid"])  # reuse of a rotated refresh token: end the whole session
        if has_request_context():
            request.environ[_REUSE_FLAG] = True
        return True
    return False


@jwt.user_lookup_error_loader
def _lookup_failed(_header, _payload):
    return _unauthorized("This session is no longer valid; sign in again.")


@jwt.expired_token_loader
def _expired(_header, _payload):
    return _unauthorized("The token has expired.")


@jwt.invalid_token_loader
def _invalid(_reason):
    return _unauthorized("The token is invalid.")


@jwt.unauthorized_loader
def _missing(_reason):
    return _unauthorized("Authentication is required: send 'Authorization: Bearer <token>'.")


@jwt.revoked_token_loader
def _revoked(_header, _payload):
    if has_request_context() and request.environ.get(_REUSE_FLAG):
        return _unauthorized(REUSE_MESSAGE)
    return _unauthorized("The token has been revoked; sign in again.")


@jwt.needs_fresh_token_loader
def _needs_fresh(_header, _payload):
    return _unauthorized("A freshly issued token is required.")


@jwt.token_verification_failed_loader
def _verification_failed(_header, _payload):
    return _unauthorized("The token is invalid.")


def issue_tokens(user: User) -> dict:
    """Start a new session for the user: an access and a refresh token sharing its id."""
    refresh_lifetime = current_app.config["JWT_REFRESH_TOKEN_EXPIRES"]
    session_id, refresh_jti = sessions.start_session(int(refresh_lifetime.total_seconds()))
    return session_tokens(user, session_id, refresh_jti, refresh_lifetime, fresh=True)


def session_tokens(user: User, session_id: str, refresh_jti: str, refresh_lifetime: dt.timedelta, *,
                   fresh: bool) -> dict:
    """An access token and the refresh token ``refresh_jti`` of an existing session."""
    return {"accessToken": create_access_token(identity=user, fresh=fresh, additional_claims={"sid": session_id}),
            "refreshToken": create_refresh_token(identity=user, expires_delta=refresh_lifetime,
                                                 additional_claims={"sid": session_id, "jti": refresh_jti})}


def current_user() -> User:
    # The user itself, not flask-jwt-extended's ``current_user`` proxy: through the proxy every
    # attribute read (a schema dumping the user reads dozens) looked the user up in ``g`` again.
    return get_current_user()


def current_actor():
    """The signed-in user as the ``Actor`` services take."""
    from .actors import Actor

    return Actor.of_user(current_user())


def current_claims() -> dict:
    return get_jwt()


def parse_object_id(value: str, what: str = "resource") -> str:
    """A malformed id is simply an id that does not exist: 404."""
    if not is_object_id(value):
        raise NotFound(what)
    return value


def _token_required(refresh: bool = False):
    """flask-jwt-extended's ``jwt_required``, through ``verify_in_request`` (a verified token is not parsed again)."""
    def decorate(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            verify_in_request(refresh=refresh)
            return current_app.ensure_sync(fn)(*args, **kwargs)
        return wrapper
    return decorate


def login_required(fn):
    """A valid access token (documented as the ``bearerAuth`` requirement)."""
    return requires_security(BEARER)(_token_required()(fn))


def refresh_token_required(fn):
    """A valid refresh token as the bearer (documented as the ``refreshToken`` requirement)."""
    return requires_security([{"refreshToken": []}])(_token_required(refresh=True)(fn))


def platform_required(fn):
    """Owner or admin only; partner users get 403."""
    @requires_security(BEARER)
    @wraps(fn)
    @_token_required()
    def wrapper(*args, **kwargs):
        if not current_user().is_platform:
            raise Forbidden("Only platform staff may do this.")
        return fn(*args, **kwargs)
    return wrapper


def owner_required(fn):
    """The platform owner only."""
    @requires_security(BEARER)
    @wraps(fn)
    @_token_required()
    def wrapper(*args, **kwargs):
        if current_user().role != "owner":
            raise Forbidden("Only the platform owner may do this.")
        return fn(*args, **kwargs)
    return wrapper


def partner_for_request(partner_id: str, *, owner_only: bool = False) -> Partner:
    """The partner the caller may act on: platform staff any, a partner user only its own.

    :param owner_only: partner members (not owners) get 403 for their own partner.
    """
    user = current_user()
    oid = parse_object_id(partner_id, "partner")
    if not user.is_platform and user.partner != oid:
        raise NotFound("partner")
    partner = signed_in.load(Partner, oid)
    if partner is None:
        raise NotFound("partner")
    if owner_only and not user.is_platform and not user.is_partner_owner:
        raise Forbidden("Only the partner's owner may do this.")
    return partner


def current_partner(required: bool = True) -> Partner | None:
    """The signed-in user's own partner (cached on the request, never on the shared ``g``)."""
    cache = request.environ if has_request_context() else {}
    if "pc.partner" not in cache:
        user = current_user()
        cache["pc.partner"] = signed_in.load(Partner, user.partner) if user.partner else None
    partner = cache["pc.partner"]
    if required and partner is None:
        raise Forbidden("This action needs a partner account.")
    return partner


def current_partner_id() -> str:
    """The signed-in user's partner id, without reading the partner (403 for users without one)."""
    partner_id = current_user().partner
    if not partner_id:
        raise Forbidden("This action needs a partner account.")
    return partner_id


def partner_scope() -> str | None:
    """Whose records the caller sees: None (every partner's) for platform staff, else its partner's id."""
    return None if current_user().is_platform else current_partner_id()


def require_trading_partner() -> Partner:
    """The caller's partner, which must be active to act on the marketplace."""
    partner = current_partner()
    if partner.status == "suspended":
        raise Forbidden("Your partner account is suspended; marketplace actions are disabled. "
                        "Contact the platform team.")
    if partner.status != "active":
        raise Forbidden("Your partner account is not active yet; finish onboarding and activate it first.")
    return partner


def optional_user():
    """The user if a valid token was sent, else None (public routes that behave better signed in)."""
    try:
        verify_jwt_in_request(optional=True)
    except Exception:
        return None
    return get_current_user() if get_jwt() else None


def cron_secret_matches(presented: str | None) -> bool:
    import hmac

    expected = current_app.config["CRON_SECRET"]
    return bool(presented) and hmac.compare_digest(presented.encode(), expected.encode())
