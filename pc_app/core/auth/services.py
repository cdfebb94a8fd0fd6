"""Sign-in, refresh, sign-out and password reset decisions, apart from HTTP."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_jwt_extended import decode_token

from ...actors import Actor
from ...auth import REUSE_MESSAGE, issue_tokens, session_tokens
from ...db import owned_by
from ...errors import Invalid, Unauthorized
from ...events import emit
from ...mail import send_mail
from ..models import User, utcnow
from ..passwords import hash_password, password_problems, verify_password
from ..tokens import TokenRejected, consume_token, issue_token, release_token, revoke_tokens
from ..users.services import INVITE_PURPOSE, end_all_sessions
from . import sessions, signed_in

RESET_PURPOSE = "reset_password"


class PasswordRejected(Invalid):
    """The password breaks the policy (422 naming ``password``); a link used with it stays usable."""

    def __init__(self, problems: list[str]):
        super().__init__(message="The password does not meet the policy.", errors={"password": problems})
        self.problems = problems


def session_for(user: User) -> dict:
    """The sign-in answer: tokens, the user and their partner (as stored now, and kept for the
    requests that follow, so the first of them reads neither again)."""
    # Naming the partner: a sign-in ends that partner's kept user list only, not every partner's.
    User.objects(id=user.id, **owned_by(user)).update_one(set__last_sign_in_at=utcnow())
    user, partner = signed_in.user_and_partner(user)
    return {**issue_tokens(user), "user": user, "partner": partner}


def authenticate(email: str, password: str) -> User:
    """The user for these credentials.

    :raises Unauthorized: one answer for every failure (unknown e-mail, wrong password, inactive).
    """
    user = User.objects(email=email.strip().lower()).first()
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        raise Unauthorized("Wrong e-mail or password.")
    return user


class SessionEnded(Unauthorized):
    """The refresh token cannot be used: its session ended, or it was rotated already (``reused``)."""

    def __init__(self, reused: bool):
        super().__init__(REUSE_MESSAGE if reused else "This session has ended; sign in again.")
        self.reused = reused


def refresh_session(user: User, refresh_payload: dict) -> dict:
    """Rotate the session's refresh token: a new access token and a new refresh token.

    The new refresh token keeps the session's end (sign-in + ``JWT_REFRESH_DAYS``): rotating
    never stretches a session. Of two uses of one refresh token, even at the same instant,
    exactly one rotates; the other is reuse, which ends the session.

    :raises SessionEnded: the session is gone, or the token was rotated before (now ended).
    """
    session_id = refresh_payload["sid"]
    new_jti = sessions.new_refresh_jti()
    outcome = sessions.rotate(session_id, refresh_payload["jti"], new_jti)
    if outcome is not sessions.Rotation.ROTATED:
        raise SessionEnded(reused=outcome is sessions.Rotation.REUSED)
    remaining = dt.timedelta(seconds=max(refresh_payload["exp"] - dt.datetime.now(dt.timezone.utc).timestamp(), 1))
    return session_tokens(user, session_id, new_jti, remaining, fresh=False)


def sign_out(access_payload: dict, refresh_token: str | None) -> None:
    """End the session of the access token, so its refresh token dies too.

    A refresh token sent along that belongs to another session of the same user ends that
    session as well; someone else's token is ignored.
    """
    sessions.end_session(access_payload.get("sid"))
    if refresh_token:
        try:
            payload = decode_token(refresh_token, allow_expired=True)
        except Exception:
            return  # an unusable refresh token needs no revoking
        if payload.get("sub") == access_payload.get("sub") and payload.get("type") == "refresh":
            sessions.end_session(payload.get("sid"))




def mail_password_reset(email: str) -> None:
    """Mail a reset link when an active account has this address; otherwise nothing happens."""
    user = User.objects(email=email, is_active=True).first()
    if user is None:
        return
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    token = issue_token(user.id, RESET_PURPOSE, dt.timedelta(minutes=minutes))
    link = f"{current_app.config['FRONTEND_URL']}/reset-password?token={token}"
    send_mail(user.email, "pc_app", "password_reset", {"name": user.name, "link": link, "minutes": minutes})


def is_deactivated(user_id) -> bool:
    """Whether platform staff or the partner's owner deactivated this user."""
    user = User.objects(id=user_id).only("deactivated_at").first()
    return user is not None and user.deactivated_at is not None


def claim_password_token(token: str, purposes: tuple[str, ...], password: str) -> User:
    """Use a single-use token to choose a password: the token's user, once the policy accepts it.

    :raises TokenRejected: unknown, used or expired token, or a deactivated user (``inactive``).
    :raises PasswordRejected: the password breaks the policy; the token stays usable for a retry.
    """
    try:
        consumed = consume_token(token, purposes)
    except TokenRejected as exc:
        # A deactivated user's links were revoked; say so rather than "already used".
        if exc.user_id is not None and is_deactivated(exc.user_id):
            raise TokenRejected("inactive") from None
        raise
    user = User.objects(id=consumed.user_id).first()
    if user is None:
        raise TokenRejected("unknown")
    if user.deactivated_at is not None:
        raise TokenRejected("inactive")
    problems = password_problems(password, user.email)
    if problems:
        release_token(token)
        raise PasswordRejected(problems)
    return user


def reset_password(token: str, password: str) -> User:
    """Use a reset or invitation token once, set the password and end every other session."""
    user = claim_password_token(token, (RESET_PURPOSE, INVITE_PURPOSE), password)
    # Conditional on the user still not being deactivated: a deactivation racing this reset wins.
    if not User.objects(id=user.id, **owned_by(user), deactivated_at=None).update_one(
            set__password_hash=hash_password(password), set__updated_at=utcnow()):
        raise TokenRejected("inactive")
    end_all_sessions(user)
    revoke_tokens(user.id, (RESET_PURPOSE, INVITE_PURPOSE))
    emit("core.password_changed", partner_ids=[user.partner] if user.partner else [], actor=Actor.of_user(user),
         payload={"userId": str(user.id)})
    return user

