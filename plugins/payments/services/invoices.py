"""Invoices and their numbers: ``PC-YYYY-NNNNNN``, gap-free per year even under concurrent sales.

An invoice is first written as a draft (one per purchase and type: a unique ``draft_key``),
so it exists before it has a number. A number is then drawn from the year's counter with
one atomic update that also records, in ``pending``, the draft it is for; the next
``$inc`` is refused while ``pending`` is set. Whoever finds a number pending — the drawer or
anyone waiting to draw — finishes it: writes it on that draft (if the draft still has no
number) and clears ``pending``; had the draft meanwhile been numbered by a helper, the drawn
number is handed back (``$inc: -1``), which is safe because nobody could draw past it. So
every number drawn ends on exactly one invoice, and a crash at any point leaves work that
the next issuer finishes: no gaps, no duplicates (the unique index on ``number`` agrees).
"""
from __future__ import annotations

import time

from mongoengine.errors import NotUniqueError
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from pc_app.toolkit import NotFound, Partner, partner_filter, utcnow

from ..models import Invoice, InvoiceCounter, Purchase

NUMBER_WAIT_SECONDS = 10


def invoice_number(year: int, seq: int) -> str:
    return f"PC-{year}-{seq:06d}"


def _draft(purchase_doc: Purchase, invoice_type: str, partner: str, counterpart: str | None, lines: list,
           total: int, references: str | None = None) -> Invoice:
    key = f"{purchase_doc.id}:{invoice_type}"
    try:
        Invoice(draft_key=key, invoice_type=invoice_type, purchase=purchase_doc.id, partner=partner,
                counterpart=counterpart, year=utcnow().year, lines=lines, total=total,
                currency=purchase_doc.currency, references=references).save(force_insert=True)
    except NotUniqueError:
        pass  # drafted before (a retry, or the webhook and the answer racing)
    return Invoice.objects(draft_key=key).first()


def issue(invoice: Invoice) -> Invoice:
    """Give a drafted invoice its number (see the module docstring); returns it numbered."""
    counters = InvoiceCounter._get_collection()
    year_key = str(invoice.year)
    deadline = time.monotonic() + NUMBER_WAIT_SECONDS
    while True:
        current = Invoice._get_collection().find_one({"_id": invoice.id}, {"number": 1})
        if current.get("number"):
            return Invoice.objects(id=invoice.id).first()
        try:
            drawn = counters.find_one_and_update({"_id": year_key, "pending": None},
                                                 {"$inc": {"seq": 1}, "$set": {"pending": invoice.id}},
                                                 upsert=True, return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:
            drawn = None  # the year's counter exists and another number is pending
        if drawn is not None:
            _finish(year_key, invoice.year, invoice.id, int(drawn["seq"]))
            continue
        counter = counters.find_one({"_id": year_key})
        if counter and counter.get("pending"):
            _finish(year_key, invoice.year, counter["pending"], int(counter["seq"]))
        if time.monotonic() > deadline:
            raise TimeoutError(f"invoice {invoice.id} could not be numbered in {NUMBER_WAIT_SECONDS} s")
        time.sleep(0.005)


def _finish(year_key: str, year: int, invoice_id: str, seq: int) -> None:
    """Write a pending number on its draft, or hand it back if the draft got one meanwhile; then clear ``pending``."""
    number = invoice_number(year, seq)
    invoices = Invoice._get_collection()
    try:
        # A findAndModify: its reply names the invoice's partner, so only that partner's list ends.
        invoices.find_one_and_update({"_id": invoice_id, "number": {"$exists": False}},
                                     {"$set": {"number": number, "status": "issued", "issued_at": utcnow()}},
                                     projection={"partner": 1})
    except DuplicateKeyError:
        pass  # the number is already on another invoice: then this draw is handed back below
    written = invoices.find_one({"_id": invoice_id}, {"number": 1})
    counters = InvoiceCounter._get_collection()
    if written is not None and written.get("number") == number:
        counters.update_one({"_id": year_key, "pending": invoice_id, "seq": seq}, {"$set": {"pending": None}})
    else:
        counters.update_one({"_id": year_key, "pending": invoice_id, "seq": seq},
                            {"$inc": {"seq": -1}, "$set": {"pending": None}})


def _lead_line(purchase_doc: Purchase) -> str:
    from ..models import Reservation

    reservation = Reservation.objects(id=purchase_doc.reservation).only("card").first()
    card = (reservation.card if reservation else None) or {}
    who = " at ".join(part for part in (card.get("jobTitle"), card.get("company")) if part) or "a sales lead"
    return f"Lead: {who} (listing {purchase_doc.listing})"


def issue_for_sale(purchase_doc: Purchase) -> list[Invoice]:
    """The buyer's purchase invoice and, unless the platform sold its own lead, the seller's payout statement."""
    description = _lead_line(purchase_doc)
    issued = [issue(_draft(purchase_doc, "purchase", purchase_doc.buyer, purchase_doc.seller,
                           [{"description": description, "amount": purchase_doc.amount}], purchase_doc.amount))]
    if not purchase_doc.house_sale:
        lines = [{"description": f"Sale of {description[6:]}", "amount": purchase_doc.amount},
                 {"description": "Platform fee", "amount": -purchase_doc.platform_fee}]
        issued.append(issue(_draft(purchase_doc, "payout", purchase_doc.seller, purchase_doc.buyer, lines,
                                   purchase_doc.seller_payout)))
    return issued


def issue_for_refund(purchase_doc: Purchase) -> list[Invoice]:
    """A credit note cancelling the purchase invoice, and a reversal of the payout statement."""
    issued = []
    for original_type, note_type in (("purchase", "credit_note"), ("payout", "payout_reversal")):
        original = Invoice.objects(draft_key=f"{purchase_doc.id}:{original_type}").first()
        if original is None:
            continue
        lines = [{"description": f"Cancels {original.number or original.invoice_type} (refund: "
                                 f"{purchase_doc.refund_reason or 'refunded'})", "amount": -original.total}]
        issued.append(issue(_draft(purchase_doc, note_type, original.partner, original.counterpart, lines,
                                   -original.total, references=original.id)))
    return issued


def visible_invoice(user, partner_id: str | None, invoice_id: str) -> Invoice:
    """:raises NotFound: not the caller's partner's invoice (platform staff see every one)."""
    invoice = Invoice.objects(id=invoice_id, status="issued").first()
    if invoice is None or not (user.is_platform or invoice.partner == partner_id):
        raise NotFound("invoice")
    return invoice


def invoices_of(partner_id: str | None, invoice_type: str | None = None):
    query = {"status": "issued", **partner_filter(partner_id)}
    if invoice_type:
        query["invoice_type"] = invoice_type
    return Invoice.objects(**query).order_by("-created_at", "-id")


def party_names(invoice: Invoice) -> dict:
    ids = [pid for pid in (invoice.partner, invoice.counterpart) if pid]
    names = {p.id: p.name for p in Partner.objects(id__in=ids).only("name")}
    return {"partner": names.get(invoice.partner), "counterpart": names.get(invoice.counterpart)}
