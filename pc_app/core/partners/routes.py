"""HTTP routes for partners: platform list and create, profile and ICP read and update."""
from flask.views import MethodView

from ...api import Blueprint
from ...pages import page_answer
from ...auth import current_actor, login_required, partner_for_request, platform_required
from . import services
from .schemas import (PartnerCreateSchema, PartnerPageSchema, PartnerPatchSchema, PartnerQueryArgsSchema,
                      PartnerSchema)

blp = Blueprint("partners", __name__, url_prefix="/v1/partners", description="Partners (companies on the platform)")


@blp.route("")
class PartnerCollection(MethodView):
    @platform_required
    @blp.arguments(PartnerQueryArgsSchema, location="query")
    @blp.response(200, PartnerPageSchema)
    @blp.errors(401, 403, 422)
    def get(self, args):
        """List partners (platform staff)."""
        return page_answer(services.partner_query(args), args["page"], args["perPage"], PartnerPageSchema)

    @platform_required
    @blp.arguments(PartnerCreateSchema)
    @blp.response(201, PartnerSchema)
    @blp.errors(401, 403, 422)
    def post(self, data):
        """Create a partner directly in the active state (platform staff)."""
        return services.create_partner(data["name"], status="active", website=data.get("website"),
                                       phone=data.get("phone"), is_platform=data["isPlatform"],
                                       icp=_icp_kwargs(data.get("icp")))


def _icp_kwargs(icp: dict | None) -> dict | None:
    return dict(icp) if icp else None


@blp.route("/<objectid:partner_id>")
class PartnerItem(MethodView):
    @login_required
    @blp.response(200, PartnerSchema)
    @blp.errors(401, 404)
    def get(self, partner_id):
        """One partner: platform staff any, partner users their own."""
        return partner_for_request(partner_id)

    @login_required
    @blp.arguments(PartnerPatchSchema)
    @blp.response(200, PartnerSchema)
    @blp.errors(401, 403, 404, 422)
    def patch(self, data, partner_id):
        """Change the profile or ICP (platform staff, or the partner's owner)."""
        partner = partner_for_request(partner_id, owner_only=True)
        if "icp" in data:
            data["icp"] = _icp_kwargs(data["icp"]) or {}
        return services.update_partner(partner, data, actor=current_actor())
