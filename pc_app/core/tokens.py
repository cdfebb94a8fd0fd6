"""Single-use user tokens (password reset, invitation, e-mail verification), stored hashed."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from ..errors import BadRequest
from .models import UserToken, as_utc, utcnow

# What a person reads when a link cannot be used; a flow may word its own (``worded``).
LINK_MESSAGES = {
    "unknown": "This link is not valid.",
    "used": "This link has already been used.",
    "expired": "This link has expired; ask for a new one.",
    "inactive": "This account has been deactivated; ask your administrator to reactivate it.",
}


class TokenRejected(BadRequest):
    """The token cannot be used (400, ``errors.token`` = ``token_<reason>``).

    ``reason`` is ``unknown``, ``used``, ``expired`` or ``inactive``; ``user_id`` names the
    token's user when the token exists (used or expired), so that the caller can tell a
    deactivated account apart.
    """

    def __init__(self, reason: str, user_id=None, messages: dict | None = None):
        super().__init__((messages or LINK_MESSAGES)[reason], errors={"token": [f"token_{reason}"]})
        self.reason = reason
        self.user_id = user_id

    def worded(self, messages: dict) -> "TokenRejected":
        """The same refusal in a flow's own words (``This verification link…``)."""
        return TokenRejected(self.reason, self.user_id, messages)


@dataclass(frozen=True)
class ConsumedToken:
    user_id: object
    purpose: str


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user_id, purpose: str, ttl: dt.timedelta, *, replace: bool = True) -> str:
    """Create a token for the user; with ``replace`` any unused earlier one of that purpose dies."""
    if replace:
        UserToken.objects(user=user_id, purpose=purpose, used_at=None).update(set__used_at=utcnow())
    raw = secrets.token_urlsafe(32)
    UserToken(user=user_id, purpose=purpose, token_hash=_digest(raw), expires_at=utcnow() + ttl).save()
    return raw


def consume_token(raw: str, purposes: tuple[str, ...]) -> ConsumedToken:
    """Mark the token used, atomically: of two concurrent uses exactly one succeeds."""
    if not raw or len(raw) > 200:
        raise TokenRejected("unknown")
    now = utcnow()
    token = UserToken.objects(token_hash=_digest(raw), purpose__in=purposes, used_at=None,
                              expires_at__gt=now).modify(set__used_at=now, new=True)
    if token is not None:
        return ConsumedToken(token.user, token.purpose)
    existing = UserToken.objects(token_hash=_digest(raw), purpose__in=purposes).first()
    if existing is None:
        raise TokenRejected("unknown")
    if existing.used_at is not None:
        raise TokenRejected("used", existing.user)
    if as_utc(existing.expires_at) <= now:
        raise TokenRejected("expired", existing.user)
    raise TokenRejected("used", existing.user)


def revoke_tokens(user_id, purposes: tuple[str, ...]) -> None:
    UserToken.objects(user=user_id, purpose__in=purposes, used_at=None).update(set__used_at=utcnow())


def revoke_all_tokens(user_id) -> None:
    """Every outstanding link of the user, whatever its purpose (plugins add purposes), stops working."""
    UserToken.objects(user=user_id, used_at=None).update(set__used_at=utcnow())


def release_token(raw: str) -> None:
    """Make a just-consumed token usable again (the action it guarded was refused)."""
    UserToken.objects(token_hash=_digest(raw)).update(unset__used_at=True)
