"""An invoice as a PDF document, drawn with fpdf2 (a maintained, pure-Python PDF library)."""
from __future__ import annotations

from fpdf import FPDF

from ..models import Invoice

TITLES = {"purchase": "Invoice", "payout": "Payout statement", "credit_note": "Credit note",
          "payout_reversal": "Payout reversal"}


def money(cents: int, currency: str) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100:,}.{abs(cents) % 100:02d} {currency.upper()}"


def _latin1(text: str) -> str:
    # The core fonts speak Latin-1; anything else becomes '?' rather than failing the whole document.
    return (text or "").encode("latin-1", "replace").decode("latin-1")


def render(invoice: Invoice, names: dict) -> bytes:
    """The PDF bytes of one issued invoice; ``names`` holds the partner and counterpart names."""
    pdf = FPDF(format="A4")
    pdf.set_title(f"{TITLES[invoice.invoice_type]} {invoice.number}")
    pdf.set_author("Partner Connector")
    pdf.set_creation_date(invoice.issued_at or invoice.created_at)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, _latin1(f"{TITLES[invoice.invoice_type]} {invoice.number}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    issued = (invoice.issued_at or invoice.created_at).strftime("%Y-%m-%d")
    for label, value in (("Issued", issued), ("To", names.get("partner") or invoice.partner),
                         ("Counterpart", names.get("counterpart") or "-"), ("Purchase", invoice.purchase)):
        pdf.cell(40, 7, label)
        pdf.cell(0, 7, _latin1(str(value)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(140, 8, "Description", border="B")
    pdf.cell(0, 8, "Amount", border="B", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    for line in invoice.lines:
        pdf.cell(140, 8, _latin1(str(line.get("description", ""))[:90]))
        pdf.cell(0, 8, money(int(line.get("amount", 0)), invoice.currency), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(140, 9, "Total", border="T")
    pdf.cell(0, 9, money(invoice.total, invoice.currency), border="T", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("Helvetica", "", 8)
    pdf.multi_cell(0, 4, "Partner Connector - amounts in the currency shown; payments processed by Stripe.")
    return bytes(pdf.output())
