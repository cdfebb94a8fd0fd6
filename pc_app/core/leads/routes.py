"""HTTP routes for a partner's own leads."""
from flask import current_app, jsonify, request
from flask.views import MethodView

from ...api import Blueprint, abort
from ..fields import BEYOND_SCHEMA
from ...pages import page_answer
from ...auth import current_actor, current_partner_id, login_required, partner_scope
from . import services
from .schemas import (LEAD_EXAMPLE, LEAD_PAGE_EXAMPLE, LEAD_WRITE_EXAMPLE, ImportQueuedSchema, ImportResultSchema,
                      LeadImportSchema, LeadPageSchema, LeadQueryArgsSchema, LeadSchema, LeadWriteSchema,
                      NoteCreateSchema)

blp = Blueprint("leads", __name__, url_prefix="/v1/leads", description="A partner's own leads")


@blp.route("")
class LeadCollection(MethodView):
    @login_required
    @blp.arguments(LeadQueryArgsSchema, location="query")
    @blp.response(200, LeadPageSchema, example=LEAD_PAGE_EXAMPLE)
    @blp.errors(401, 403, 404, 422)
    def get(self, args):
        """List the partner's leads with filters, sort and pagination.

        Platform staff see every partner's leads, or one partner's with ``partnerId``.
        """
        return page_answer(services.lead_query(partner_scope(), args), args["page"], args["perPage"], LeadPageSchema)

    @login_required
    @blp.arguments(LeadWriteSchema, example=LEAD_WRITE_EXAMPLE)
    @blp.response(201, LeadSchema, example=LEAD_EXAMPLE)
    @blp.errors(401, 403, 409, 422)
    def post(self, data):
        """Create a lead (e-mail unique per partner, phone stored in E.164)."""
        return services.create_lead(current_partner_id(), data, current_actor())


# What the file must hold (UTF-8 CSV, a header naming lead fields, valid rows) no schema can state.
CSV_RULES = "UTF-8 CSV whose first row names lead fields (firstName and email at least)"
IMPORT_BODY_DOC = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", BEYOND_SCHEMA: CSV_RULES}}}},
    "text/csv": {"schema": {"type": "string", BEYOND_SCHEMA: CSV_RULES}},
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
@blp.errors(401, 403, 413, 415, 422)
def import_leads():
    """Import leads from a CSV file whose header names the lead fields (firstName, email, ...).

    Each row is validated like ``POST /v1/leads``; valid rows are imported, invalid and
    duplicate rows are reported as ``{row, errors}`` (header = row 1). Files with more than
    500 rows are imported by a background job.
    """
    result = services.import_csv(current_partner_id(), _uploaded_csv(), current_actor())
    if isinstance(result, services.LeadImport):
        queued = ImportQueuedSchema().dump({"importId": str(result.id), "status": result.status,
                                            "totalRows": result.total_rows})
        return jsonify(queued), 202  # a Response, so the 200 schema does not filter it
    return result.as_dict()


@blp.route("/imports/<objectid:import_id>")
@login_required
@blp.response(200, LeadImportSchema)
@blp.errors(401, 403, 404)
@blp.doc(operationId="getLeadImport")
def lead_import(import_id):
    """Status, progress and row errors of a queued CSV import of the caller's partner (any, for platform staff)."""
    return services.visible_import(partner_scope(), import_id)


@blp.route("/<objectid:lead_id>")
class LeadItem(MethodView):
    @login_required
    @blp.response(200, LeadSchema)
    @blp.errors(401, 403, 404)
    def get(self, lead_id):
        """One of the partner's leads."""
        return services.visible_lead(partner_scope(), lead_id)

    @login_required
    @blp.arguments(LeadWriteSchema(partial=True))
    @blp.response(200, LeadSchema)
    @blp.errors(401, 403, 404, 409, 422)
    def patch(self, data, lead_id):
        """Change some fields of a lead (409: sold, so read-only; or reserved by a buyer, until the hold ends)."""
        return services.update_lead(services.visible_lead(partner_scope(), lead_id), data, current_actor())

    @login_required
    @blp.response(204)
    @blp.errors(401, 403, 404, 409)
    def delete(self, lead_id):
        """Delete a lead (kept for history, gone from every list; a listed one is delisted). 409: sold, or reserved
        by a buyer until the hold ends."""
        services.delete_lead(services.visible_lead(partner_scope(), lead_id), current_actor())


@blp.route("/<objectid:lead_id>/notes", methods=["POST"])
@login_required
@blp.arguments(NoteCreateSchema)
@blp.response(201, LeadSchema)
@blp.errors(401, 403, 404, 409, 422)
@blp.doc(operationId="addLeadNote")
def add_note(data, lead_id):
    """Append a note to a lead."""
    return services.add_note(services.visible_lead(partner_scope(), lead_id), data["text"], current_actor())
