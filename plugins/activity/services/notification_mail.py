"""Notification e-mails: one per person who may see the type, each with a signed one-click unsubscribe link.

The unsubscribe token names the user and the type and is signed with a key derived from
``JWT_SECRET`` (HMAC-SHA256 over a fixed label), so it needs no storage and no sign-in; it turns
that type's e-mail off for that person only. Mail headers carry ``List-Unsubscribe`` (the API's
POST URL) and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058), so mail clients
offer the one-click button; the link in the body opens the frontend's unsubscribe page.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from urllib.parse import quote

from flask import current_app

from pc_app.toolkit import BadRequest, User, get_redis, send_mail

from ..activity_types import activity_type
from . import preferences

PACKAGE = "plugins.activity"
MAILED_TTL_S = 7 * 24 * 3600
_LABEL = b"pc-activity-unsubscribe-v1"


def _key() -> bytes:
    return hmac.new(current_app.config["JWT_SECRET"].encode(), _LABEL, hashlib.sha256).digest()


def unsubscribe_token(user_id: str, type_name: str) -> str:
    body = f"{user_id}|{type_name}"
    signature = hmac.new(_key(), body.encode(), hashlib.sha256).hexdigest()[:32]
    return base64.urlsafe_b64encode(f"{body}|{signature}".encode()).decode().rstrip("=")


def read_unsubscribe_token(token: str) -> tuple[str, str]:
    """``(user_id, type)`` of a genuine token; anything else is a 400 naming ``token``."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        user_id, type_name, signature = raw.split("|")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadRequest("This unsubscribe link is not valid.", errors={"token": ["token_invalid"]}) from None
    expected = hmac.new(_key(), f"{user_id}|{type_name}".encode(), hashlib.sha256).hexdigest()[:32]
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        raise BadRequest("This unsubscribe link is not valid.", errors={"token": ["token_invalid"]})
    return user_id, type_name


def unsubscribe_links(user_id: str, type_name: str) -> tuple[str, str]:
    """The frontend page (for the mail body) and the API's one-click POST URL (for the header)."""
    token = quote(unsubscribe_token(user_id, type_name))
    page = f"{current_app.config['FRONTEND_URL'].rstrip('/')}/unsubscribe?token={token}"
    one_click = f"{current_app.config['ACTIVITY_PUBLIC_API_URL'].rstrip('/')}/v1/notifications/unsubscribe?token={token}"
    return page, one_click


def describe_unsubscribe(token: str) -> dict:
    """What a token would turn off (the frontend shows it before the person confirms)."""
    user_id, type_name = read_unsubscribe_token(token)
    user = User.objects(id=user_id).only("email").first()
    return {"type": type_name, "description": activity_type(type_name).description,
            "email": _masked(user.email) if user else None,
            "unsubscribed": bool(preferences.opted_out_users([user_id], type_name))}


def unsubscribe(token: str) -> dict:
    """Turn the token's type off for its person; repeating it is harmless."""
    user_id, type_name = read_unsubscribe_token(token)
    user = User.objects(id=user_id).only("partner").first()
    preferences.opt_out(user_id, str(user.partner) if user and user.partner else None, type_name)
    return {"type": type_name, "unsubscribed": True}


def _masked(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def recipients(partner_id: str, audience: str, type_name: str) -> list:
    """Active users of the partner who may see the type and have not opted out of its e-mail. A user invited who
    has not set a password yet gets none: the invitation may have gone to a mistyped address, and business mail
    to it would tell a stranger the partner's trades."""
    query = {"partner": partner_id, "is_active": True, "password_hash__nin": [None, ""]}  # not $ne: see development.md
    if audience == "owners":
        query["is_partner_owner"] = True
    users = list(User.objects(**query).only("id", "email", "name"))
    muted = preferences.opted_out_users([str(u.id) for u in users], type_name)
    return [u for u in users if str(u.id) not in muted]


def template_for(type_name: str) -> str:
    """``types/<plugin>.<event>`` when the plugin ships one, else the generic notification."""
    from importlib import resources

    name = f"types/{type_name}"
    return name if resources.files(PACKAGE).joinpath(f"templates/mail/{name}.txt").is_file() else "notification"


def mail_partner(event, partner_id: str, activity: dict, audience: str) -> int:
    """Queue one notification per recipient, once per event and partner (at-least-once safe)."""
    guard = f"pc:activity:mailed:{event.id}:{partner_id}"
    if not get_redis().set(guard, "1", nx=True, ex=MAILED_TTL_S):
        return 0
    template = template_for(event.name)
    sent = 0
    try:
        for user in recipients(partner_id, audience, event.name):
            page, one_click = unsubscribe_links(str(user.id), event.name)
            context = {"activity": activity, "user_name": user.name, "unsubscribe_url": page,
                       "feed_url": f"{current_app.config['FRONTEND_URL'].rstrip('/')}/activity"}
            headers = {"List-Unsubscribe": f"<{one_click}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
            send_mail(user.email, PACKAGE, template, context, tags=["activity", event.name], headers=headers)
            sent += 1
    except Exception:
        # Nothing or only part was queued: let the retried delivery mail this partner again.
        get_redis().delete(guard)
        raise
    return sent
