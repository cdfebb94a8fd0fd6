"""Writing HubSpot's side onto leads: conditional updates, so a person's edit made meanwhile is never lost.

A batch is one bulk write (each update conditional on the values we compared) and one read to learn
which took: an update whose lead a person changed meanwhile simply does not match, and the next sync
compares again and sees who changed what.
"""
from __future__ import annotations

from pymongo import UpdateOne

from pc_app.toolkit import Actor, Lead, emit, utcnow

from .deal_fields import status_for_stage


def lead_changes(lead, values: dict, mapping: dict) -> dict:
    """The lead attributes to change for canonical ``values`` (only dealStatus and dealAmount live on the lead)."""
    changes = {}
    if "dealStatus" in values:
        status = status_for_stage(values["dealStatus"], mapping, current=lead.deal_status)
        if status is not None and status != lead.deal_status:
            changes["deal_status"] = status
    if "dealAmount" in values and int(values["dealAmount"]) != int(lead.deal_amount or 0):
        changes["deal_amount"] = int(values["dealAmount"])
    return changes


def write_leads(writes: list[tuple[object, dict]], actor: Actor) -> set:
    """Apply ``[(lead, changes)]``; returns the ids of the leads that took their changes (and emits for them)."""
    writes = [(lead, changes) for lead, changes in writes if changes]
    if not writes:
        return set()
    now = utcnow()
    operations = [UpdateOne({"_id": lead.id, "partner": lead.partner, "is_deleted": False,
                             **{attribute: getattr(lead, attribute) for attribute in changes}},
                            {"$set": {**changes, "updated_by": actor, "updated_at": now}})
                  for lead, changes in writes]
    collection = Lead._get_collection()
    collection.bulk_write(operations, ordered=False)
    wanted = {lead.id: changes for lead, changes in writes}
    stored = {son["_id"]: son for son in collection.find({"_id": {"$in": sorted(wanted)}},
                                                          {attribute: 1 for changes in wanted.values()
                                                           for attribute in changes} | {"updated_by": 1})}
    written = {lead_id for lead_id, changes in wanted.items()
               if all(stored.get(lead_id, {}).get(k) == v for k, v in changes.items())
               and stored.get(lead_id, {}).get("updated_by") == actor}
    for lead, changes in writes:
        if lead.id in written:
            emit("core.lead_updated", partner_ids=[lead.partner], actor=actor,
                 payload={"leadId": str(lead.id), "fields": sorted(changes)})
    return written


def write_lead(lead, changes: dict, actor: Actor) -> bool:
    """One lead (a person resolving a conflict): True when the changes took."""
    if not changes:
        return True
    return lead.id in write_leads([(lead, changes)], actor)
