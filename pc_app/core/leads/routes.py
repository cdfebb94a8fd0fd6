"""HTTP routes for a partner's own leads."""
from flask import current_app, jsonify, request
from flask.views import MethodView

from ...api import Blueprint, abort, paginate
from ...auth import current_partner, current_user, login_required, parse_object_id
from ..models import Lead, LeadImport
from . import csv_import, services
from .schemas import (ImportQueuedSchema, ImportResultSchema, LeadImportSchema, LeadPageSchema, LeadQueryArgsSchema,
                      LeadSchema, LeadWriteSchema, NoteCreateSchema)

blp = Blueprint("leads", __name__, url_prefix="/v1/leads", description="A partner's own leads")


def _actor() -> str:
    return f"user:{current_user().id}"


def own_lead(lead_id: str) -> Lead:
    """The caller's partner's live lead (any live lead for platform staff), else 404.

    Foreign and deleted leads look the same, so ids cannot be probed.
    """
    query = {"id": parse_object_id(lead_id, "lead"), "is_deleted": False}
    if not current_user().is_platform:
        query["partner"] = current_partner().id
    lead = Lead.objects(**query).first()
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
        """List the partner's leads with filters, sort and pagination.

        Platform staff see every partner's leads, or one partner's with ``partnerId``.
        """
        if current_user().is_platform:
            scope = args.get("partnerId")
        else:
            scope = current_partner().id
            if args.get("partnerId") not in (None, scope):
                abort(404, message="No such partner.")
        return paginate(services.lead_query(scope, args), args["page"], args["perPage"])

    @login_required
    @blp.arguments(LeadWriteSchema)
    @blp.response(201, LeadSchema)
    def post(self, data):
        """Create a lead (e-mail unique per partner, phone stored in E.164)."""
        try:
            return services.create_lead(current_partner().id, data, _actor())
        except services.DuplicateLeadEmail as exc:
            _duplicate(str(exc))


IMPORT_BODY_DOC = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                       "properties": {"file": {"type": "string", "format": "binary"}}}},
    "text/csv": {"schema": {"type": "string"}},
}}}


def _uploaded_csv() -> bytes:
    """The CSV bytes from a multipart ``file`` field or a ``text/csv`` body, within the size limit."""
    limit = current_app.config["LEADS_IMPORT_MAX_BYTES"]
    too_large = f"The file is larger than {limit // (1024 * 1024) or 1} MB; split it into smaller files."
    # Leave room for the multipart envelope; the file itself is measured below.
    request.max_content_length = limit + 64 * 1024
    if request.content_length is not None and request.content_length > request.max_content_length:
        abort(413, message=too_large)
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            abort(422, message="Send the CSV in a form field named 'file'.", errors={"file": ["Missing."]})
        raw = upload.read(limit + 1)
    elif request.mimetype in ("text/csv", "text/plain", "application/csv"):
        raw = request.get_data(cache=False)
    else:
        abort(415, message="Send the CSV as multipart/form-data (field 'file') or as a text/csv body.")
    if len(raw) > limit:
        abort(413, message=too_large)
    return raw


@blp.route("/import", methods=["POST"])
@login_required
@blp.doc(**IMPORT_BODY_DOC)
@blp.response(200, ImportResultSchema, description="Small file: imported now; failed rows listed with errors")
@blp.alt_response(202, schema=ImportQueuedSchema, description="Large file: queued; follow GET /v1/leads/imports/{id}")
@blp.alt_response(413, description="The file is too large or has too many rows")
def import_leads():
    """Import leads from a CSV file whose header names the lead fields (firstName, email, ...).

    Each row is validated like ``POST /v1/leads``; valid rows are imported, invalid and
    duplicate rows are reported as ``{row, errors}`` (header = row 1). Files with more than
    500 rows are imported by a background job.
    """
    partner = current_partner()
    config = current_app.config
    try:
        text = csv_import.decode(_uploaded_csv())
        parsed = csv_import.parse(text, config["LEADS_IMPORT_MAX_ROWS"])
    except csv_import.ImportRefused as refused:
        abort(refused.status, message=refused.message, errors=refused.errors)
    if len(parsed.rows) > config["LEADS_IMPORT_INLINE_ROWS"]:
        record = services.queue_import(partner.id, text, len(parsed.rows), _actor())
        queued = ImportQueuedSchema().dump({"importId": str(record.id), "status": record.status,
                                            "totalRows": record.total_rows})
        return jsonify(queued), 202  # a Response, so the 200 schema does not filter it
    return csv_import.import_inline(partner.id, parsed, _actor()).as_dict()


@blp.route("/imports/<objectid:import_id>")
@login_required
@blp.response(200, LeadImportSchema)
def lead_import(import_id):
    """Status, progress and row errors of a queued CSV import of the caller's partner (any, for platform staff)."""
    query = {"id": parse_object_id(import_id, "import")}
    if not current_user().is_platform:
        query["partner"] = current_partner().id
    record = LeadImport.objects(**query).exclude("content").first()
    if record is None:
        abort(404, message="No such import.")
    return record


@blp.route("/<objectid:lead_id>")
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


@blp.route("/<objectid:lead_id>/notes", methods=["POST"])
@login_required
@blp.arguments(NoteCreateSchema)
@blp.response(201, LeadSchema)
def add_note(data, lead_id):
    """Append a note to a lead."""
    return services.add_note(own_lead(lead_id), data["text"], _actor())
