"""Leads of one partner: create, change, soft delete, notes and the list query."""
from __future__ import annotations

from flask import current_app
from mongoengine.errors import NotUniqueError

from ...actors import Actor
from ...db import partner_filter, text_contains, undone_on_failure
from ...errors import Conflict, NotFound
from ...events import emit
from ...jobs import enqueue
from ...plugins import call_hook
from ..models import Lead, LeadImport, Note, utcnow
from . import csv_import
from .jobs import run_lead_import

SORT_FIELDS = {"createdAt": "created_at", "updatedAt": "updated_at", "dealAmount": "deal_amount",
               "lastName": "last_name", "company": "company"}


class DuplicateLeadEmail(Conflict):
    """The partner already has a live lead with this e-mail address (409 naming ``email``)."""

    def __init__(self, email: str = ""):
        super().__init__("email", "You already have a lead with this e-mail address.", errors={"email": ["Taken."]})
        self.email = email


def visible_lead(scope: str | None, lead_id: str) -> Lead:
    """A live lead of the partner ``scope`` (any partner's for platform staff, ``scope=None``).

    :raises NotFound: foreign and deleted leads look the same, so ids cannot be probed.
    """
    lead = Lead.objects(id=lead_id, is_deleted=False, **partner_filter(scope)).first()
    if lead is None:
        raise NotFound("lead")
    return lead


def visible_import(scope: str | None, import_id: str) -> LeadImport:
    """A CSV import of the partner ``scope`` (any for platform staff), without its file."""
    record = LeadImport.objects(id=import_id, **partner_filter(scope)).exclude("content").first()
    if record is None:
        raise NotFound("import")
    return record


def lead_query(scope, args: dict):
    """The live leads a caller sees, filtered and sorted.

    :param scope: the caller's partner id, or None for platform staff, who may narrow the
        list to one partner with ``partnerId``; a partner user naming another partner gets 404.
    """
    query: dict = {"is_deleted": False, **partner_filter(scope, args.get("partnerId"))}
    # The default list holds the leads a partner works on; read-only ones (sold) are asked for.
    # ``$in: [null]`` rather than ``null``: the local stand-in drops the null match beside a ``$or`` (q).
    if args.get("readOnly"):
        query["read_only_reason__ne"] = None
    else:
        query["read_only_reason__in"] = [None, ""]
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


def create_lead(partner_id, data: dict, actor: Actor) -> Lead:
    lead = Lead(partner=partner_id, updated_by=actor, **data)
    lead.email_key = Lead.make_email_key(partner_id, lead.email)
    try:
        lead.save(force_insert=True)
    except NotUniqueError:
        raise DuplicateLeadEmail(lead.email) from None
    emit("core.lead_created", partner_ids=[partner_id], actor=actor, payload={"leadId": str(lead.id)})
    return lead


class LeadReadOnly(Conflict):
    """The lead is kept unchangeable (sold on the marketplace): 409 naming ``readOnly``."""

    def __init__(self, reason: str | None = None):
        sentence = ("This lead was sold on the marketplace; it stays in your history but can no longer be changed."
                    if reason == "sold" else "This lead is read-only and can no longer be changed.")
        super().__init__("readOnly", sentence)


def refuse_read_only(lead: Lead) -> None:
    """:raises LeadReadOnly: the lead may not be changed, noted or deleted."""
    if lead.read_only_reason:
        raise LeadReadOnly(lead.read_only_reason)


def refuse_vetoed(lead: Lead) -> None:
    """:raises Conflict: a plugin holds the lead as it is (``pc_lead_change_vetoes``): a buyer reserved it, and
    pays for the data it reserved, so the seller may not edit or delete it until the hold ends."""
    for _plugin, vetoes in call_hook(current_app.extensions["pc_plugin_manager"], "pc_lead_change_vetoes", lead=lead):
        for rule, sentence in vetoes or ():
            raise Conflict(rule, sentence)


def _of_partner(partner_id: str | None) -> dict:
    """The lead's partner in a write's filter, when the caller knows it: the write then ends what is kept
    of that partner's leads only (``collection_versions.count_writes_by_owner``), not every partner's."""
    return {"partner": str(partner_id)} if partner_id else {}


def set_lead_read_only(lead_id: str, reason: str, partner_id: str | None = None) -> bool:
    """Make a live lead read-only for ``reason`` (idempotent); True when this call changed it."""
    return bool(Lead.objects(id=lead_id, read_only_reason=None, **_of_partner(partner_id)).update_one(
        set__read_only_reason=reason, set__read_only_since=utcnow(), set__updated_at=utcnow()))


def clear_lead_read_only(lead_id: str, reason: str, partner_id: str | None = None) -> bool:
    """Give a lead made read-only for ``reason`` back to its partner (idempotent); True when it changed."""
    return bool(Lead.objects(id=lead_id, read_only_reason=reason, **_of_partner(partner_id)).update_one(
        unset__read_only_reason=True, unset__read_only_since=True, set__updated_at=utcnow()))


def update_lead(lead: Lead, changes: dict, actor: Actor) -> Lead:
    if not changes:
        return lead
    refuse_read_only(lead)
    refuse_vetoed(lead)
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


def delete_lead(lead: Lead, actor: Actor) -> None:
    """Soft delete: the lead disappears from lists and its e-mail may be used again."""
    refuse_read_only(lead)
    refuse_vetoed(lead)
    Lead.objects(id=lead.id, partner=lead.partner, is_deleted=False).update(set__is_deleted=True, set__deleted_at=utcnow(),
                                                      unset__email_key=True, set__updated_by=actor,
                                                      set__updated_at=utcnow())
    emit("core.lead_deleted", partner_ids=[lead.partner], actor=actor, payload={"leadId": str(lead.id)})


def add_note(lead: Lead, text: str, author: str) -> Lead:
    """Append a note without losing a concurrent one.

    The whole list is written under the condition that it still has the length we read
    (``$push`` of embedded documents is mangled by the local MongoDB stand-in).
    """
    refuse_read_only(lead)
    for _attempt in range(10):
        current = list(lead.notes)
        new_notes = current + [Note(text=text, author=author, at=utcnow())]
        written = Lead.objects(id=lead.id, partner=lead.partner, __raw__={"notes": {"$size": len(current)}}).update_one(
            set__notes=new_notes, set__updated_at=utcnow(), set__updated_by=author)
        lead.reload()
        if written:
            return lead
    raise RuntimeError("The lead's notes kept changing; try again.")


def import_csv(partner_id: str, raw: bytes, actor: Actor):
    """Import a CSV file: small files now (an ``ImportOutcome``), large ones by a job (a ``LeadImport``).

    :raises ImportRefused: the file as a whole cannot be read (encoding, header, rows); nothing written.
    """
    from flask import current_app

    text = csv_import.decode(raw)
    parsed = csv_import.parse(text, current_app.config["LEADS_IMPORT_MAX_ROWS"])
    if len(parsed.rows) > current_app.config["LEADS_IMPORT_INLINE_ROWS"]:
        return queue_import(partner_id, text, len(parsed.rows), actor)
    return csv_import.import_inline(partner_id, parsed, actor)


def queue_import(partner_id: str, text: str, total_rows: int, actor: Actor):
    """Store a large CSV as an import record and queue the job that imports it."""
    record = LeadImport(partner=partner_id, created_by=actor, content=text, total_rows=total_rows).save()
    # A record whose job was never queued would say "queued" forever.
    with undone_on_failure(lambda: LeadImport.objects(id=record.id, status="queued").delete(), "a queued import"):
        enqueue(run_lead_import, str(record.id), queue="default", timeout=3600)
    return record
