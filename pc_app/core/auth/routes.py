"""HTTP routes for sign-in, tokens, the current user and password reset."""

from flask.views import MethodView
from flask_jwt_extended import get_jwt

from ...api import Blueprint, MessageSchema
from ...auth import current_user, login_required, refresh_token_required
from ...ratelimit import limit_per_address_and_email, limiter, setting
from . import jobs, services
from .schemas import (SESSION_EXAMPLE, SIGN_IN_EXAMPLE, ForgotPasswordSchema, MeSchema, RefreshedTokensSchema,
                      ResetPasswordSchema, SessionSchema, SignInSchema, SignOutSchema)

blp = Blueprint("auth", __name__, url_prefix="/v1/auth", description="Sign-in, tokens and passwords")

FORGOT_ANSWER = {"message": "If an account exists for this address, we have sent it a reset link."}

@blp.route("/sign-in", methods=["POST"])
@limit_per_address_and_email("RATELIMIT_SIGN_IN")
@blp.arguments(SignInSchema, example=SIGN_IN_EXAMPLE)
@blp.response(200, SessionSchema, example=SESSION_EXAMPLE)
@blp.errors(401, 422, 429)
def sign_in(data):
    """Exchange e-mail and password for an access and a refresh token.

    One 401 for every bad credential: unknown e-mail, wrong password or inactive user.
    """
    return services.session_for(services.authenticate(data["email"], data["password"]))


@blp.route("/refresh", methods=["POST"])
@refresh_token_required
@blp.response(200, RefreshedTokensSchema)
@blp.errors(401)
@blp.doc(operationId="refreshSession")
def refresh():
    """Trade the refresh token (as the Bearer token) for a new access token and a new refresh token.

    Refresh tokens rotate: each works once. Keep the new one; presenting a used one again is
    treated as theft and ends the whole session (401), so a client must not refresh twice at once.
    """
    return services.refresh_session(current_user(), get_jwt())


@blp.route("/sign-out", methods=["POST"])
@login_required
@blp.arguments(SignOutSchema, required=False)
@blp.response(204)
def sign_out(data):
    """End the session of the access token used for this call: its refresh token stops working too.

    A ``refreshToken`` of another of your sessions, if given, ends that session as well.
    """
    services.sign_out(get_jwt(), (data or {}).get("refreshToken"))


@blp.route("/me")
class Me(MethodView):
    @login_required
    @blp.response(200, MeSchema)
    @blp.doc(operationId="getCurrentUser")
    def get(self):
        """The signed-in user with role, partner id and partner."""
        return current_user()


@blp.route("/forgot-password", methods=["POST"])
@limit_per_address_and_email("RATELIMIT_PUBLIC")
@blp.arguments(ForgotPasswordSchema)
@blp.response(202, MessageSchema)
@blp.errors(422, 429)
@blp.doc(operationId="requestPasswordReset")
def forgot_password(data):
    """Mail a single-use reset link (valid one hour); the answer never says whether the e-mail exists."""
    jobs.request_password_reset(data["email"])
    return FORGOT_ANSWER


@blp.route("/reset-password", methods=["POST"])
@limiter.limit(setting("RATELIMIT_PUBLIC"))
@blp.arguments(ResetPasswordSchema)
@blp.response(200, MessageSchema)
@blp.errors(400, 422, 429)
def reset_password(data):
    """Set a new password with a reset or invitation token; every existing session ends.

    400 when the link is unknown, used, expired or its account deactivated (``errors.token``
    says which); 422 when the password breaks the policy (the link stays usable).
    """
    services.reset_password(data["token"], data["password"])
    return {"message": "Your password has been set; sign in with it."}


