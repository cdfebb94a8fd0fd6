"""Seller payouts: the Stripe Connect onboarding link and the payout status of your partner."""
from __future__ import annotations

from flask.views import MethodView

from pc_app.toolkit import Blueprint, Forbidden, current_partner, current_user, login_required

from ..schemas import OnboardingLinkSchema, PayoutStatusSchema
from ..services import payouts

blp = Blueprint("payments_payouts", __name__, url_prefix="/v1/payments/connect",
                description="Seller payouts through Stripe Connect (Express accounts)")


@blp.route("/onboarding", methods=["POST"])
@login_required
@blp.response(200, OnboardingLinkSchema)
@blp.errors(401, 403, 502, 503)
@blp.doc(operationId="createPayoutOnboardingLink")
def onboarding():
    """Your partner's Stripe onboarding link (partner owner): the account is created once, the link is fresh.

    Stripe sends the owner back to ``FRONTEND_URL/settings/payouts?onboarding=return`` (or
    ``=refresh`` when the link expired); ``account.updated`` then enables payouts.
    """
    partner = current_partner()
    if not current_user().is_partner_owner:
        raise Forbidden("Only the partner's owner may set up payouts.")
    return payouts.onboarding_link(partner)


@blp.route("/status")
class PayoutStatus(MethodView):
    @login_required
    @blp.response(200, PayoutStatusSchema)
    @blp.errors(401, 403, 502, 503)
    def get(self):
        """Your partner's payout account as Stripe reports it (re-read when older than a few minutes)."""
        return payouts.status(current_partner())
