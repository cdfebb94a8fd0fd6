"""Users: creating them (platform staff, invitations), activation, and the first owner."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from mongoengine.errors import NotUniqueError

from ...actors import Actor
from ...db import owned_by, partner_filter, text_contains, undone_on_failure
from ...errors import Conflict, Forbidden, Invalid, NotFound
from ...events import emit
from ...mail import send_mail
from ..models import Partner, User, utcnow
from ..passwords import hash_password
from ..tokens import issue_token, revoke_all_tokens

INVITE_PURPOSE = "invite"


class EmailTaken(Conflict):
    """Another user already has this e-mail address (409 naming ``email``)."""

    def __init__(self, email: str = ""):
        super().__init__("email", "A user with this e-mail address already exists.", errors={"email": ["Taken."]})
        self.email = email


def require_user_manager(me: User) -> User:
    """Platform staff manage everyone; a partner owner manages its own partner's users."""
    if not me.is_platform and not me.is_partner_owner:
        raise Forbidden("Only platform staff or the partner's owner may manage users.")
    return me


def user_query(me: User, args: dict):
    """The users ``me`` may list (platform staff: all, a partner owner: its partner's), filtered."""
    require_user_manager(me)
    query = partner_filter(None if me.is_platform else str(me.partner), args.get("partnerId"))
    for arg, field in (("role", "role"), ("isActive", "is_active")):
        if arg in args:
            query[field] = args[arg]
    qs = User.objects(**query).order_by("-created_at", "-id")  # the id breaks ties: pages never overlap
    if args.get("q"):
        qs = qs.filter(__raw__=text_contains(("email", "name"), args["q"]))
    return qs


def invitation_target(me: User, role: str, partner_id: str | None) -> str | None:
    """The partner an invitation made by ``me`` puts the new user in, after the role rules.

    Platform staff create admins (the owner only) or users of any partner; a partner owner
    invites users of its own partner only (another partner's id answers 404).
    """
    require_user_manager(me)
    if not me.is_platform:
        if role != "user":
            raise Forbidden("Partner owners may only invite users of their partner.")
        if partner_id and partner_id != me.partner:
            raise NotFound("partner")
        return me.partner
    if role in ("owner", "admin") and me.role != "owner":
        raise Forbidden("Only the platform owner may create platform staff.")
    if role == "owner":
        raise Invalid(message="There is one platform owner.", errors={"role": ["Must be admin or user."]})
    if role != "user":
        return None
    if not partner_id:
        raise Invalid(message="A partner user needs a partner.", errors={"partnerId": ["Required."]})
    if Partner.objects(id=partner_id).only("id").first() is None:
        raise NotFound("partner")
    return partner_id


def managed_user(me: User, user_id: str) -> User:
    """A user whose status ``me`` may change; others' users are 404, staff only for the owner."""
    require_user_manager(me)
    user = User.objects(id=user_id).first()
    if user is None or (not me.is_platform and user.partner != me.partner):
        raise NotFound("user")
    if user.id == me.id:
        raise Conflict("ownStatus", "You cannot change your own status.")
    if user.role == "owner" or (user.role == "admin" and me.role != "owner"):
        raise Forbidden("Only the platform owner may change platform staff.")
    return user


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
    """Create a user without a password and mail them a set-password link (valid INVITE_HOURS).

    :raises EmailTaken: the address has an account already.
    """
    user = create_user(email, name, role=role, partner_id=partner_id, is_partner_owner=is_partner_owner)
    # A user without the link is an address nobody can invite again (409): remove it if the link fails.
    with undone_on_failure(lambda: _remove_unused_invitation(user), "an invitation"):
        token = issue_token(user.id, INVITE_PURPOSE, dt.timedelta(hours=current_app.config["INVITE_HOURS"]))
        link = f"{current_app.config['FRONTEND_URL']}/reset-password?token={token}"
        send_mail(user.email, "pc_app", "invitation", {"name": user.name, "link": link, "inviter": invited_by.name,
                                                       "hours": current_app.config["INVITE_HOURS"]})
        emit("core.user_invited", partner_ids=[partner_id] if partner_id else [], actor=Actor.of_user(invited_by),
             payload={"userId": str(user.id), "role": role})
    return user


def _remove_unused_invitation(user: User) -> None:
    revoke_all_tokens(user.id)
    User.objects(id=user.id, **owned_by(user), password_hash=None, last_sign_in_at=None).delete()


def set_user_active(user: User, is_active: bool, actor: Actor) -> User:
    """Deactivation sticks: every session and every outstanding link (reset, invitation,
    verification) of the user dies at once, and ``deactivated_at`` keeps any later link from
    letting them back in until they are reactivated.

    Reactivation does not revive old links; it lets the user sign in (or ask for a reset link) again.
    """
    if is_active:
        User.objects(id=user.id, **owned_by(user)).update_one(set__is_active=True, unset__deactivated_at=True,
                                                              set__updated_at=utcnow())
    else:
        User.objects(id=user.id, **owned_by(user)).update_one(set__is_active=False, set__deactivated_at=utcnow(),
                                                              set__updated_at=utcnow())
        end_all_sessions(user)
        revoke_all_tokens(user.id)
    user.reload()
    emit("core.user_status_changed", partner_ids=[user.partner] if user.partner else [], actor=actor,
         payload={"userId": str(user.id), "isActive": is_active})
    return user


def end_all_sessions(user: User) -> None:
    """Every token issued so far stops working (they carry the old session version)."""
    User.objects(id=user.id, **owned_by(user)).update_one(inc__session_version=1, set__updated_at=utcnow())
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
