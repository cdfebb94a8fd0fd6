"""HTTP routes of the registration plugin: public sign-up and verification, onboarding, activation, suspension."""
from pc_app.toolkit import (Blueprint, MessageSchema, PartnerSchema, SessionSchema, current_actor, current_user,
                           limit_per_address_and_email, limiter, login_required, partner_for_request, platform_required,
                           setting)

from . import jobs, services
from .schemas import (REGISTER_PARTNER_EXAMPLE, REGISTERED_EXAMPLE, OnboardingSchema, RegisterPartnerSchema,
                      ResendVerificationSchema, SuspendPartnerSchema, VerifyRegistrationSchema)

registration_blp = Blueprint("registration", __name__, url_prefix="/v1/auth",
                             description="Partner self-registration and e-mail verification")
lifecycle_blp = Blueprint("registration_partners", __name__, url_prefix="/v1/partners",
                          description="Partner onboarding checklist, activation and suspension")

# One body whatever happened, so the answer never tells whether an e-mail has an account.
REGISTER_ANSWER = {"message": "Thank you. We have sent an e-mail to this address with the next step."}
RESEND_ANSWER = {"message": "If this address is waiting for verification, we have sent it a new link."}

@registration_blp.route("/register-partner", methods=["POST"])
@limit_per_address_and_email("REGISTRATION_RATELIMIT")
@registration_blp.arguments(RegisterPartnerSchema, example=REGISTER_PARTNER_EXAMPLE)
@registration_blp.response(202, MessageSchema, example=REGISTERED_EXAMPLE)
@registration_blp.errors(422, 429)
def register_partner(data):
    """Register a company and its owner; a verification link (48 h, single-use) is e-mailed.

    An e-mail that already has an account gets the same answer and a mail telling its owner to
    sign in or reset the password instead; registering again before verifying re-sends the link.
    """
    jobs.request_registration(data["companyName"], data["name"], data["email"], website=data.get("website"),
                                  phone=data.get("phone"))
    return REGISTER_ANSWER


@registration_blp.route("/resend-verification", methods=["POST"])
@limit_per_address_and_email("REGISTRATION_RATELIMIT")
@registration_blp.arguments(ResendVerificationSchema)
@registration_blp.response(202, MessageSchema)
@registration_blp.errors(422, 429)
def resend_verification(data):
    """Mail a new verification link (the previous one stops working); same answer for every e-mail."""
    jobs.request_verification_resend(data["email"])
    return RESEND_ANSWER


@registration_blp.route("/verify-registration", methods=["POST"])
@limiter.limit(setting("REGISTRATION_RATELIMIT"))
@registration_blp.arguments(VerifyRegistrationSchema)
@registration_blp.response(200, SessionSchema)
@registration_blp.errors(400, 422, 429)
def verify_registration(data):
    """Verify the e-mail with the link's token and choose a password; answers like sign-in.

    400 when the link is unknown, used, expired or its account deactivated (``errors.token``
    is ``token_unknown``, ``token_used``, ``token_expired`` or ``token_inactive``); 422 when
    the password breaks the policy (the link stays usable).
    """
    return services.verify_registration(data["token"], data["password"])


@lifecycle_blp.route("/<objectid:partner_id>/onboarding", methods=["GET"])
@login_required
@lifecycle_blp.response(200, OnboardingSchema)
@lifecycle_blp.errors(401, 404)
@lifecycle_blp.doc(operationId="getPartnerOnboarding")
def onboarding(partner_id):
    """The partner's onboarding checklist, assembled from every enabled plugin."""
    return services.onboarding_for(partner_for_request(partner_id))


@lifecycle_blp.route("/<objectid:partner_id>/activate", methods=["POST"])
@login_required
@lifecycle_blp.response(200, PartnerSchema)
@lifecycle_blp.errors(401, 403, 404, 409)
@lifecycle_blp.doc(operationId="activatePartner")
def activate(partner_id):
    """Activate the partner (its owner, or platform staff) once its ICP is configured.

    409 names the missing required steps in ``errors``, or says why the status cannot move.
    """
    return services.activate_partner(partner_for_request(partner_id, owner_only=True), current_actor(),
                                     by_platform=current_user().is_platform)


@lifecycle_blp.route("/<objectid:partner_id>/suspend", methods=["POST"])
@platform_required
@lifecycle_blp.arguments(SuspendPartnerSchema)
@lifecycle_blp.response(200, PartnerSchema)
@lifecycle_blp.errors(401, 403, 404, 409, 422)
@lifecycle_blp.doc(operationId="suspendPartner")
def suspend(data, partner_id):
    """Suspend a partner (platform staff): its users may sign in but every marketplace action is refused."""
    partner = partner_for_request(partner_id)
    return services.suspend_partner(partner, data["reason"], current_actor())  # Name trims it


@lifecycle_blp.route("/<objectid:partner_id>/reinstate", methods=["POST"])
@platform_required
@lifecycle_blp.response(200, PartnerSchema)
@lifecycle_blp.errors(401, 403, 404, 409)
@lifecycle_blp.doc(operationId="reinstatePartner")
def reinstate(partner_id):
    """Lift a suspension (platform staff); the partner returns to the status it had reached."""
    partner = partner_for_request(partner_id)
    return services.reinstate_partner(partner, current_actor())
