"""Users: creating them (platform staff, invitations), activation, and the first owner."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from mongoengine.errors import NotUniqueError

from ...events import emit
from ...mail import send_mail
from ..models import User, utcnow
from ..passwords import hash_password
from ..tokens import issue_token, revoke_all_tokens

INVITE_PURPOSE = "invite"


class EmailTaken(Exception):
    """Another user already has this e-mail address."""


def create_user(email: str, name: str, *, role: str = "user", partner_id=None, is_partner_owner: bool = False,
                password: str | None = None, is_active: bool = True) -> User:
    user = User(email=email.strip().lower(), name=name.strip(), role=role, partner=partner_id,
                is_partner_owner=is_partner_owner, is_active=is_active,
                password_hash=hash_password(password) if password else None)
    try:
        return user.save(force_insert=True)
    except NotUniqueError:
        raise EmailTaken(email) from None


def invite_user(email: str, name: str, *, role: str, partner_id, is_partner_owner: bool, invited_by: User) -> User:
    """Create a user without a password and mail them a set-password link (valid INVITE_HOURS)."""
    user = create_user(email, name, role=role, partner_id=partner_id, is_partner_owner=is_partner_owner)
    token = issue_token(user.id, INVITE_PURPOSE, dt.timedelta(hours=current_app.config["INVITE_HOURS"]))
    link = f"{current_app.config['FRONTEND_URL']}/reset-password?token={token}"
    send_mail(user.email, "pc_app", "invitation", {"name": user.name, "link": link, "inviter": invited_by.name,
                                                   "hours": current_app.config["INVITE_HOURS"]})
    emit("core.user_invited", partner_ids=[partner_id] if partner_id else [], actor=f"user:{invited_by.id}",
         payload={"userId": str(user.id), "role": role})
    return user


def set_user_active(user: User, is_active: bool, actor: User) -> User:
    """Deactivation sticks: every session and every outstanding link (reset, invitation,
    verification) of the user dies at once, and ``deactivated_at`` keeps any later link from
    letting them back in until they are reactivated.

    Reactivation does not revive old links; it lets the user sign in (or ask for a reset link) again.
    """
    if is_active:
        User.objects(id=user.id).update_one(set__is_active=True, unset__deactivated_at=True,
                                            set__updated_at=utcnow())
    else:
        User.objects(id=user.id).update_one(set__is_active=False, set__deactivated_at=utcnow(),
                                            set__updated_at=utcnow())
        end_all_sessions(user)
        revoke_all_tokens(user.id)
    user.reload()
    emit("core.user_status_changed", partner_ids=[user.partner] if user.partner else [], actor=f"user:{actor.id}",
         payload={"userId": str(user.id), "isActive": is_active})
    return user


def end_all_sessions(user: User) -> None:
    """Every token issued so far stops working (they carry the old session version)."""
    user.update(inc__session_version=1, set__updated_at=utcnow())
    user.reload()


class OwnerSeedConflict(Exception):
    """The configured owner e-mail belongs to a user who is not the platform owner."""


def seed_owner(email: str, password: str, name: str) -> tuple[User, bool]:
    """Create the platform owner once; later runs (and racing runs) find it and change nothing.

    There is one owner: when one exists under another e-mail, it is returned unchanged.
    """
    email = email.strip().lower()
    existing = User.objects(email=email).first() or User.objects(role="owner").order_by("created_at").first()
    if existing is None:
        try:
            return create_user(email, name, role="owner", password=password), True
        except EmailTaken:
            existing = User.objects(email=email).first()  # another process seeded it a moment ago
    if existing.role != "owner":
        raise OwnerSeedConflict(f"INITIAL_OWNER_EMAIL {email} belongs to a user with role '{existing.role}', "
                                f"not to the platform owner; choose another address.")
    return existing, False
