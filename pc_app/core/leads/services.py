"""Leads of one partner: create, change, soft delete, notes and the list query."""
from __future__ import annotations

from mongoengine.errors import NotUniqueError

from ...db import text_contains
from ...events import emit
from ...jobs import enqueue
from ..models import Lead, LeadImport, Note, utcnow
from .jobs import run_lead_import

SORT_FIELDS = {"createdAt": "created_at", "updatedAt": "updated_at", "dealAmount": "deal_amount",
               "lastName": "last_name", "company": "company"}


class DuplicateLeadEmail(Exception):
    """The partner already has a live lead with this e-mail address."""


def lead_query(partner_id, args: dict):
    """The partner's live leads (every partner's when ``partner_id`` is None) filtered and sorted."""
    query: dict = {"is_deleted": False}
    if partner_id is not None:
        query["partner"] = partner_id
    for arg, field in (("dealStatus", "deal_status"), ("industry", "industry"), ("companySize", "company_size"),
                       ("seniority", "seniority"), ("country", "country")):
        if args.get(arg):
            query[f"{field}__in"] = args[arg]
    if args.get("source"):
        query["source"] = args["source"]
    if args.get("minDealAmount") is not None:
        query["deal_amount__gte"] = args["minDealAmount"]
    if args.get("maxDealAmount") is not None:
        query["deal_amount__lte"] = args["maxDealAmount"]
    if args.get("createdFrom"):
        query["created_at__gte"] = args["createdFrom"]
    if args.get("createdTo"):
        query["created_at__lt"] = args["createdTo"]
    qs = Lead.objects(**query)
    if args.get("q"):
        qs = qs.filter(__raw__=text_contains(("first_name", "last_name", "email", "company"), args["q"]))
    sort = args.get("sort") or "-createdAt"
    direction, key = ("-", sort[1:]) if sort.startswith("-") else ("", sort)
    return qs.order_by(f"{direction}{SORT_FIELDS[key]}", f"{direction}id")


def create_lead(partner_id, data: dict, actor: str) -> Lead:
    lead = Lead(partner=partner_id, updated_by=actor, **data)
    lead.email_key = Lead.make_email_key(partner_id, lead.email)
    try:
        lead.save(force_insert=True)
    except NotUniqueError:
        raise DuplicateLeadEmail(lead.email) from None
    emit("core.lead_created", partner_ids=[partner_id], actor=actor, payload={"leadId": str(lead.id)})
    return lead


def update_lead(lead: Lead, changes: dict, actor: str) -> Lead:
    if not changes:
        return lead
    before = {key: getattr(lead, key) for key in changes}
    for key, value in changes.items():
        setattr(lead, key, value)
    lead.email_key = Lead.make_email_key(lead.partner, lead.email)
    lead.updated_by = actor
    try:
        lead.save()
    except NotUniqueError:
        raise DuplicateLeadEmail(lead.email) from None
    changed = sorted(k for k in changes if before[k] != changes[k])
    if changed:
        emit("core.lead_updated", partner_ids=[lead.partner], actor=actor,
             payload={"leadId": str(lead.id), "fields": changed})
    return lead


def delete_lead(lead: Lead, actor: str) -> None:
    """Soft delete: the lead disappears from lists and its e-mail may be used again."""
    Lead.objects(id=lead.id, is_deleted=False).update(set__is_deleted=True, set__deleted_at=utcnow(),
                                                      unset__email_key=True, set__updated_by=actor,
                                                      set__updated_at=utcnow())
    emit("core.lead_deleted", partner_ids=[lead.partner], actor=actor, payload={"leadId": str(lead.id)})


def add_note(lead: Lead, text: str, author: str) -> Lead:
    """Append a note without losing a concurrent one.

    The whole list is written under the condition that it still has the length we read
    (``$push`` of embedded documents is mangled by the local MongoDB stand-in).
    """
    for _attempt in range(10):
        current = list(lead.notes)
        new_notes = current + [Note(text=text, author=author, at=utcnow())]
        written = Lead.objects(id=lead.id, __raw__={"notes": {"$size": len(current)}}).update_one(
            set__notes=new_notes, set__updated_at=utcnow(), set__updated_by=author)
        lead.reload()
        if written:
            return lead
    raise RuntimeError("The lead's notes kept changing; try again.")


def queue_import(partner_id: str, text: str, total_rows: int, actor: str):
    """Store a large CSV as an import record and queue the job that imports it."""
    record = LeadImport(partner=partner_id, created_by=actor, content=text, total_rows=total_rows).save()
    enqueue(run_lead_import, str(record.id), queue="default", timeout=3600)
    return record
