"""Invoices: purchase invoices, payout statements and credit notes of your partner, as JSON or PDF."""
from __future__ import annotations

from flask import Response, request
from flask.views import MethodView

from pc_app.toolkit import Blueprint, current_user, login_required, page_answer, partner_scope

from ..schemas import InvoiceArgsSchema, InvoicePageSchema, InvoiceSchema
from ..services import invoice_pdf, invoices

blp = Blueprint("payments_invoices", __name__, url_prefix="/v1/invoices",
                description="Invoices, payout statements and credit notes (JSON or PDF)")

PDF_DOC = {"responses": {"200": {"description": "The invoice as a PDF document",
                                 "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}}


def _pdf(invoice) -> Response:
    body = invoice_pdf.render(invoice, invoices.party_names(invoice))
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{invoice.number}.pdf"'})


@blp.route("")
class InvoiceList(MethodView):
    @login_required
    @blp.arguments(InvoiceArgsSchema, location="query")
    @blp.response(200, InvoicePageSchema)
    @blp.errors(401, 403, 422)
    def get(self, args):
        """Your partner's invoices newest first (platform staff: every partner's); ``type`` filters."""
        return page_answer(invoices.invoices_of(partner_scope(), args.get("type")), args["page"], args["perPage"],
                           InvoicePageSchema)


@blp.route("/<objectid:invoice_id>")
@login_required
@blp.response(200, InvoiceSchema)
@blp.alt_response(200, schema={"type": "string", "format": "binary"}, content_type="application/pdf",
                  description="The invoice as JSON, or as a PDF document (Accept: application/pdf)")
@blp.errors(401, 403, 404)
@blp.doc(operationId="getInvoice")
def invoice_item(invoice_id):
    """One invoice; ``Accept: application/pdf`` answers the PDF instead of JSON."""
    invoice = invoices.visible_invoice(current_user(), current_user().partner, invoice_id)
    if request.accept_mimetypes.best_match(["application/json", "application/pdf"]) == "application/pdf":
        return _pdf(invoice)
    return invoice


@blp.route("/<objectid:invoice_id>/pdf")
@login_required
@blp.doc(**PDF_DOC)
@blp.errors(401, 403, 404)
@blp.doc(operationId="getInvoicePdf")
def invoice_pdf_file(invoice_id):
    """One invoice as a PDF document."""
    return _pdf(invoices.visible_invoice(current_user(), current_user().partner, invoice_id))
