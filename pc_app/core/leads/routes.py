"""HTTP routes for a partner's own leads."""
from flask.views import MethodView

from ...api import Blueprint, abort, paginate
from ...auth import current_partner, current_user, login_required, parse_object_id
from ..models import Lead
from . import services
from .schemas import LeadPageSchema, LeadQueryArgsSchema, LeadSchema, LeadWriteSchema, NoteCreateSchema

blp = Blueprint("leads", __name__, url_prefix="/v1/leads", description="A partner's own leads")


def _actor() -> str:
    return f"user:{current_user().id}"


def own_lead(lead_id: str) -> Lead:
    """The caller's partner's live lead, else 404 (foreign and deleted leads look the same)."""
    lead = Lead.objects(id=parse_object_id(lead_id, "lead"), partner=current_partner().id, is_deleted=False).first()
    if lead is None:
        abort(404, message="No such lead.")
    return lead


def _duplicate(email: str):
    abort(409, message="You already have a lead with this e-mail address.", errors={"email": ["Taken."]})


@blp.route("")
class LeadCollection(MethodView):
    @login_required
    @blp.arguments(LeadQueryArgsSchema, location="query")
    @blp.response(200, LeadPageSchema)
    def get(self, args):
        """List the partner's leads with filters, sort and pagination."""
        return paginate(services.lead_query(current_partner().id, args), args["page"], args["perPage"])

    @login_required
    @blp.arguments(LeadWriteSchema)
    @blp.response(201, LeadSchema)
    def post(self, data):
        """Create a lead (e-mail unique per partner, phone stored in E.164)."""
        try:
            return services.create_lead(current_partner().id, data, _actor())
        except services.DuplicateLeadEmail as exc:
            _duplicate(str(exc))


@blp.route("/<lead_id>")
class LeadItem(MethodView):
    @login_required
    @blp.response(200, LeadSchema)
    def get(self, lead_id):
        """One of the partner's leads."""
        return own_lead(lead_id)

    @login_required
    @blp.arguments(LeadWriteSchema(partial=True))
    @blp.response(200, LeadSchema)
    def patch(self, data, lead_id):
        """Change some fields of a lead."""
        lead = own_lead(lead_id)
        try:
            return services.update_lead(lead, data, _actor())
        except services.DuplicateLeadEmail as exc:
            _duplicate(str(exc))

    @login_required
    @blp.response(204)
    def delete(self, lead_id):
        """Delete a lead (kept for history, gone from every list)."""
        services.delete_lead(own_lead(lead_id), _actor())


@blp.route("/<lead_id>/notes", methods=["POST"])
@login_required
@blp.arguments(NoteCreateSchema)
@blp.response(201, LeadSchema)
def add_note(data, lead_id):
    """Append a note to a lead."""
    return services.add_note(own_lead(lead_id), data["text"], _actor())
