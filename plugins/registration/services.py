"""Registration decisions: sign-up without account enumeration, verification, onboarding and status moves."""
from __future__ import annotations

import datetime as dt

from flask import current_app

from pc_app.toolkit import (Actor, Conflict, EmailTaken, OnboardingStep, Partner, TokenRejected, User, call_hook,
                           claim_password_token, create_partner, create_user, emit, hash_password, issue_token,
                           owned_by, revoke_tokens, send_mail, session_for, set_partner_status, undone_on_failure, utcnow)

VERIFY_PURPOSE = "verify_registration"
MAIL_PACKAGE = "plugins.registration"

# Where each status may come from. A partner owner cannot sign in before verifying, so only
# platform staff can meet a pending partner; they may activate it directly (e.g. verified
# by phone), the owner's verification link then still sets the password.
ACTIVATE_FROM_FOR_OWNER = ("onboarding",)
ACTIVATE_FROM_FOR_PLATFORM = ("pending_verification", "onboarding")
SUSPEND_FROM = ("pending_verification", "onboarding", "active")

STEP_SENTENCES = {
    "icpConfigured": "Describe your ideal customer profile (industries, company sizes, countries, job titles "
                     "or seniorities) first.",
}


def step_sentence(key: str) -> str:
    return STEP_SENTENCES.get(key, f"Finish the onboarding step '{key}' first.")


# What the link's refusals say in this flow (the core's wording speaks of any link).
VERIFY_LINK_MESSAGES = {
    "unknown": "This verification link is not valid.",
    "used": "This verification link has already been used; sign in instead.",
    "expired": "This verification link has expired; ask for a new one.",
    "inactive": "This account has been deactivated; contact the platform team.",
}


class ActivationBlocked(Conflict):
    """Required onboarding steps are not done (409); ``missing`` names them, each with a sentence."""

    def __init__(self, missing: list[str]):
        super().__init__(missing[0], f"Finish these onboarding steps first: {', '.join(missing)}.",
                         errors={key: [step_sentence(key)] for key in missing})
        self.missing = missing


class StatusConflict(Conflict):
    """The partner's current status does not allow the move (409); the message says why."""

    def __init__(self, message: str):
        super().__init__("status", message)


# --- registration ----------------------------------------------------------------------------

def register_partner(company_name: str, name: str, email: str, *, website: str | None = None,
                     phone: str | None = None) -> None:
    """Create the partner and its owner and mail a verification link; known e-mails get another mail.

    The caller answers the same in every case, so the answer never tells whether an e-mail has
    an account. Someone who registers again before verifying simply gets a fresh link.

    All or nothing: when a later step fails (the owner cannot be saved, the link cannot be
    issued or mailed), the partner and owner written so far are removed, so the job's retry
    starts over and no orphan ``pending_verification`` partner stays behind.
    """
    existing = User.objects(email=email).first()
    if existing is not None:
        _answer_known_email(existing)
        return
    partner = create_partner(company_name, status="pending_verification", website=website, phone=phone)
    with undone_on_failure(lambda: _remove_unverified_registration(partner.id), "a registration"):
        try:
            user = create_user(email, name, partner_id=partner.id, is_partner_owner=True, is_active=False)
        except EmailTaken:
            # Two sign-ups with one e-mail raced: the unique index kept one user; undo our partner.
            _remove_unverified_registration(partner.id)
            existing = User.objects(email=email).first()
            if existing is not None:
                _answer_known_email(existing)
            return
        _send_verification(user, partner)
        emit("registration.partner_registered", partner_ids=[partner.id], actor=Actor.of_user(user),
             payload={"partnerId": str(partner.id), "userId": str(user.id), "name": partner.name,
                      "slug": partner.slug})


def _remove_unverified_registration(partner_id: str) -> None:
    """Remove a registration that never completed: its unverified owner, their links, then the partner.

    Conditional at each step, so a registration that got verified meanwhile is left alone.
    """
    for user in User.objects(partner=partner_id, is_active=False, password_hash=None, is_partner_owner=True):
        revoke_tokens(user.id, (VERIFY_PURPOSE,))
        User.objects(id=user.id, **owned_by(user), is_active=False, password_hash=None).delete()
    if User.objects(partner=partner_id).only("id").first() is None:
        Partner.objects(id=partner_id, status="pending_verification").delete()


def resend_verification(email: str) -> None:
    """Mail a new link (the old one stops working) when the address awaits verification; else nothing."""
    user = User.objects(email=email).first()
    if user is None:
        return
    partner = _pending_registration_partner(user)
    if partner is not None:
        _send_verification(user, partner)


def _pending_registration_partner(user: User) -> Partner | None:
    """The partner of a self-registered owner who has not verified yet, or None."""
    if user.is_active or user.password_hash or not user.is_partner_owner or not user.partner \
            or user.deactivated_at is not None:
        return None
    return Partner.objects(id=user.partner, status="pending_verification").first()


def _answer_known_email(user: User) -> None:
    partner = _pending_registration_partner(user)
    if partner is not None:
        _send_verification(user, partner)
        return
    send_mail(user.email, MAIL_PACKAGE, "already_registered",
              {"name": user.name, "sign_in_link": f"{current_app.config['FRONTEND_URL']}/sign-in",
               "reset_link": f"{current_app.config['FRONTEND_URL']}/forgot-password"})


def _send_verification(user: User, partner: Partner) -> None:
    hours = current_app.config["REGISTRATION_VERIFICATION_HOURS"]
    token = issue_token(user.id, VERIFY_PURPOSE, dt.timedelta(hours=hours))  # replaces any earlier link
    link = f"{current_app.config['FRONTEND_URL']}/verify?token={token}"
    send_mail(user.email, MAIL_PACKAGE, "verification",
              {"name": user.name, "company": partner.name, "link": link, "hours": hours})


def verify_registration(token: str, password: str) -> dict:
    """Use the link once: set the password, activate the owner, move the partner to onboarding.

    :return: the sign-in answer (tokens, user, partner).
    :raises TokenRejected: unknown, used or expired link, or a deactivated user (``inactive``).
    :raises PasswordRejected: weak password; the link stays usable.
    """
    try:
        user = claim_password_token(token, (VERIFY_PURPOSE,), password)
    except TokenRejected as refused:
        raise refused.worded(VERIFY_LINK_MESSAGES) from None
    # Conditional: a user deactivated meanwhile stays out (deactivation wins the race).
    if not User.objects(id=user.id, **owned_by(user), deactivated_at=None).update_one(
            set__password_hash=hash_password(password), set__is_active=True, set__updated_at=utcnow()):
        raise TokenRejected("inactive", messages=VERIFY_LINK_MESSAGES)
    user.reload()
    revoke_tokens(user.id, (VERIFY_PURPOSE,))
    partner = None
    if user.partner:
        # A partner the platform activated or suspended meanwhile keeps its status.
        partner = set_partner_status(user.partner, to="onboarding", allowed_from=("pending_verification",))
        partner = partner or Partner.objects(id=user.partner).first()
    if partner is not None:
        send_mail(user.email, MAIL_PACKAGE, "welcome",
                  {"name": user.name, "company": partner.name,
                   "onboarding_link": f"{current_app.config['FRONTEND_URL']}/dashboard"})
        emit("registration.partner_verified", partner_ids=[partner.id], actor=Actor.of_user(user),
             payload={"partnerId": str(partner.id), "userId": str(user.id)})
    return session_for(user)


# --- onboarding --------------------------------------------------------------------------------

def icp_step(partner: Partner) -> OnboardingStep:
    """This plugin's onboarding step, required to activate: a valid, non-empty ICP has been saved."""
    return OnboardingStep("icpConfigured", bool(partner.icp is not None and partner.icp.is_configured()),
                          position=10, required=True)


def onboarding_steps(partner: Partner) -> list[OnboardingStep]:
    """Every enabled plugin's steps, ordered by the position each declares; a key reported twice counts once
    (done only if every report says so, required if any does)."""
    steps: dict[str, OnboardingStep] = {}
    for _plugin, contributed in call_hook("pc_onboarding_steps", partner=partner):
        for step in contributed or []:
            seen = steps.get(step.key)
            if seen is not None:
                step = OnboardingStep(step.key, seen.done and step.done, min(seen.position, step.position),
                                      seen.required or step.required)
            steps[step.key] = step
    return sorted(steps.values(), key=lambda step: step.position)  # stable: equal positions keep plugin order


def missing_required_steps(steps: list[OnboardingStep]) -> list[str]:
    return [step.key for step in steps if step.required and not step.done]


def onboarding_for(partner: Partner) -> dict:
    """The onboarding checklist: steps, counts, percent and whether the partner may activate now."""
    steps = onboarding_steps(partner)
    completed = sum(1 for step in steps if step.done)
    total = len(steps)
    return {
        "steps": [{"key": step.key, "done": step.done, "required": step.required} for step in steps],
        "completed": completed,
        "total": total,
        "percent": round(100 * completed / total) if total else 0,
        "canActivate": partner.status == "onboarding" and not missing_required_steps(steps),
    }


# --- status moves --------------------------------------------------------------------------------

def activate_partner(partner: Partner, actor: Actor, *, by_platform: bool) -> Partner:
    """Move the partner to ``active`` once the required steps are done.

    :raises ActivationBlocked: required steps missing.
    :raises StatusConflict: the partner is not in a state that can be activated.
    """
    allowed_from = ACTIVATE_FROM_FOR_PLATFORM if by_platform else ACTIVATE_FROM_FOR_OWNER
    if partner.status not in allowed_from:
        raise StatusConflict(_cannot_activate_sentence(partner.status))
    missing = missing_required_steps(onboarding_steps(partner))
    if missing:
        raise ActivationBlocked(missing)
    activated = set_partner_status(partner.id, to="active", allowed_from=allowed_from)
    if activated is None:
        # Someone else moved it between our read and the conditional update.
        current = Partner.objects(id=partner.id).first()
        raise StatusConflict(_cannot_activate_sentence(current.status if current else "gone"))
    emit("registration.partner_activated", partner_ids=[activated.id], actor=actor,
         payload={"partnerId": str(activated.id), "from": partner.status})
    return activated


def _cannot_activate_sentence(status: str) -> str:
    if status == "active":
        return "The partner is already active."
    if status == "suspended":
        return "The partner is suspended; platform staff must reinstate it."
    if status == "pending_verification":
        return "The partner's owner has not verified the e-mail address yet."
    return f"A partner in status '{status}' cannot be activated."


def suspend_partner(partner: Partner, reason: str, actor: Actor) -> Partner:
    """Suspend (platform staff): the partner's users can still sign in but cannot trade."""
    suspended = set_partner_status(partner.id, to="suspended", allowed_from=SUSPEND_FROM, reason=reason)
    if suspended is None:
        raise StatusConflict("The partner is already suspended.")
    emit("registration.partner_suspended", partner_ids=[suspended.id], actor=actor,
         payload={"partnerId": str(suspended.id), "from": partner.status, "reason": reason})
    return suspended


def reinstate_partner(partner: Partner, actor: Actor) -> Partner:
    """Lift a suspension, back to where the partner had got: active, onboarding or pending verification."""
    if partner.status != "suspended":
        raise StatusConflict("Only a suspended partner can be reinstated.")
    target = _status_before_suspension(partner)
    reinstated = set_partner_status(partner.id, to=target, allowed_from=("suspended",))
    if reinstated is None:
        raise StatusConflict("Only a suspended partner can be reinstated.")
    emit("registration.partner_reinstated", partner_ids=[reinstated.id], actor=actor,
         payload={"partnerId": str(reinstated.id), "to": target})
    return reinstated


def _status_before_suspension(partner: Partner) -> str:
    """Derived from the record, since the partner keeps no history: activated once, or verified once."""
    if partner.activated_at is not None:
        return "active"
    verified = User.objects(partner=partner.id, is_active=True).only("id").first()
    return "onboarding" if verified is not None else "pending_verification"
