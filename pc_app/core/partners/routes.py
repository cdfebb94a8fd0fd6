"""HTTP routes for partners: platform list and create, profile and ICP read and update."""
from flask.views import MethodView

from ...api import Blueprint, paginate
from ...db import text_contains
from ...auth import current_user, login_required, partner_for_request, platform_required
from ..models import Partner
from . import services
from .schemas import (PartnerCreateSchema, PartnerPageSchema, PartnerPatchSchema, PartnerQueryArgsSchema,
                      PartnerSchema)

blp = Blueprint("partners", __name__, url_prefix="/v1/partners", description="Partners (companies on the platform)")


@blp.route("")
class PartnerCollection(MethodView):
    @platform_required
    @blp.arguments(PartnerQueryArgsSchema, location="query")
    @blp.response(200, PartnerPageSchema)
    def get(self, args):
        """List partners (platform staff)."""
        query = {}
        if args.get("status"):
            query["status"] = args["status"]
        qs = Partner.objects(**query).order_by("-created_at")
        if args.get("q"):
            qs = qs.filter(__raw__=text_contains(("name", "slug"), args["q"]))
        return paginate(qs, args["page"], args["perPage"])

    @platform_required
    @blp.arguments(PartnerCreateSchema)
    @blp.response(201, PartnerSchema)
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
    def get(self, partner_id):
        """One partner: platform staff any, partner users their own."""
        return partner_for_request(partner_id)

    @login_required
    @blp.arguments(PartnerPatchSchema)
    @blp.response(200, PartnerSchema)
    def patch(self, data, partner_id):
        """Change the profile or ICP (platform staff, or the partner's owner)."""
        partner = partner_for_request(partner_id, owner_only=True)
        if "icp" in data:
            data["icp"] = _icp_kwargs(data["icp"]) or {}
        return services.update_partner(partner, data, actor=f"user:{current_user().id}")
