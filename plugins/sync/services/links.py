"""Reading and writing DealLinks in batches: one round trip per batch, whatever its size."""
from __future__ import annotations

from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from pc_app.toolkit import Lead, as_utc, utcnow

from ..models import DealLink, SyncConflict


def lead_left(lead, link: DealLink) -> str | None:
    """Why the lead is no longer this partner's to sync (None while it is).

    Deleted, moved to another partner, or sold on the marketplace: the marketplace flow marks the
    seller's copy read-only with ``read_only_reason = "sold"`` (a field the payments plugin adds to
    the Lead; read defensively so the sync works with and without it).
    """
    if lead is None or lead.is_deleted:
        return "lead_deleted"
    if str(lead.partner) != str(link.partner):
        return "lead_moved"
    if getattr(lead, "read_only_reason", None) == "sold":
        return "lead_sold"
    return None


class Row:
    """A lead or link as stored, read by attribute without building a mongoengine document.

    A sync walks thousands of leads and links; building documents costs about a millisecond each on
    this stack, a dict almost nothing. Booleans may come back as 0/1 and times as strings from some
    wire-compatible servers: read them with ``bool()`` and ``iso_time()``.
    """
    __slots__ = ("_son",)

    def __init__(self, son: dict):
        object.__setattr__(self, "_son", son)

    def __getattr__(self, name):
        return self._son.get("_id" if name == "id" else name)

    def __setattr__(self, name, value):
        self._son["_id" if name == "id" else name] = value


def iso_time(value) -> str | None:
    """A stored time (a datetime, or the string form some servers return) as ISO 8601 in UTC."""
    value = as_utc(value)
    return value.isoformat() if value is not None else None


def rows(model, query: dict, sort=None, limit: int | None = None) -> list[Row]:
    """Raw documents of ``model`` matching a query, in one round trip (``$match``/``$sort``/``$limit``)."""
    pipeline: list = [{"$match": query}]
    if sort:
        pipeline.append({"$sort": sort})
    if limit:
        pipeline.append({"$limit": limit})
    return [Row(son) for son in model._get_collection().aggregate(pipeline)]


def links_by_key(partner_id: str, lead_ids) -> dict:
    keys = [DealLink.key_for(partner_id, lead_id) for lead_id in lead_ids]
    return {link.lead: link for link in rows(DealLink, {"link_key": {"$in": keys}})} if keys else {}


def links_by_deal(portal: int, deal_ids) -> dict:
    keys = [DealLink.deal_key_for(portal, deal_id) for deal_id in deal_ids]
    return {link.deal_id: link for link in rows(DealLink, {"deal_key": {"$in": keys}})} if keys else {}


def leads_by_id(lead_ids) -> dict:
    ids = sorted({str(i) for i in lead_ids if i})
    return {lead.id: lead for lead in rows(Lead, {"_id": {"$in": ids}})} if ids else {}


def ensure_links(partner_id: str, portal: int, lead_ids) -> tuple[dict, set]:
    """``(links by lead id, ids of the leads whose links were inserted now)``; a racing insert is fine.

    New links are ``create_attempted`` from the start: their deals are about to be created, and a run
    that dies before it records them must look for them first. (Looking for a deal never created
    costs one search per 100 leads, on a resumed run only.)
    """
    existing = links_by_key(partner_id, lead_ids)
    missing = [lead_id for lead_id in lead_ids if lead_id not in existing]
    if missing:
        new_links = [DealLink(partner=partner_id, lead=lead_id, link_key=DealLink.key_for(partner_id, lead_id),
                              portal=portal, create_attempted=True).to_mongo() for lead_id in missing]
        try:
            DealLink._get_collection().insert_many(new_links, ordered=False)
            inserted = set(missing)
        except BulkWriteError as failure:
            # another worker inserted some of them first: those are not ours to call fresh
            taken = {new_links[error["index"]]["lead"] for error in failure.details.get("writeErrors", [])}
            inserted = set(missing) - taken
        existing.update(links_by_key(partner_id, missing))
        return existing, inserted
    return existing, set()


def write_links(changes: list[tuple[str, dict, dict]]) -> int:
    """``[(link id, condition, fields to $set)]`` in one bulk write; returns how many matched."""
    if not changes:
        return 0
    now = utcnow()
    operations = [UpdateOne({"_id": link_id, **condition}, {"$set": {**fields, "updated_at": now}})
                  for link_id, condition, fields in changes]
    return DealLink._get_collection().bulk_write(operations, ordered=False).matched_count


def start_over_in_portal(links: list, portal: int) -> None:
    """The partner connected another portal: these leads get deals there (their old deals stay in the old
    portal, their open conflicts close, as nobody can resolve them there any more)."""
    ids = [link.id for link in links]
    DealLink._get_collection().update_many(
        {"_id": {"$in": ids}}, {"$set": {"portal": portal, "status": "pending", "status_reason": None,
                                        "snapshot": {}, "changed_at": {}, "associated": False,
                                        "create_attempted": False, "updated_at": utcnow()},
                                "$unset": {"deal_id": "", "deal_key": "", "contact_id": "", "deal_name": "",
                                           "close_date": ""}})
    # Named by partner (the links are one partner's, the one that connected another portal): only that
    # partner's kept conflict list ends.
    for partner in sorted({link.partner for link in links}):
        SyncConflict.objects(partner=partner, link__in=ids, status="open").update(
            set__status="resolved", unset__open_key=True, set__resolved_by="system", set__resolved_at=utcnow(),
            set__updated_at=utcnow())


def unlink(link: DealLink, reason: str) -> bool:
    """The deal is gone (or the lead left): stop syncing this lead. A deal that still exists keeps its key,
    so a deal won after the lead was sold is still recognised; a deleted one frees its key."""
    keep_key = reason in ("lead_sold", "lead_moved")
    update = {"set__status": "unlinked", "set__status_reason": reason, "set__updated_at": utcnow()}
    if not keep_key:
        update["unset__deal_key"] = True
    return bool(DealLink.objects(id=link.id, status__ne="unlinked").update_one(**update))
