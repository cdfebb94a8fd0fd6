"""Writing HubSpot's side onto a lead: a conditional update, so a person's edit made meanwhile is never lost."""
from __future__ import annotations

from pc_app.toolkit import Lead, emit, utcnow

from .deal_fields import status_for_stage

LEAD_ATTRIBUTE = {"dealStatus": "deal_status", "dealAmount": "deal_amount"}


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


def write_lead(lead, changes: dict, actor: str) -> bool:
    """Set ``changes`` on the lead if the changed attributes still hold what we read; False when a person
    changed one meanwhile (the next sync compares again and sees who changed what)."""
    if not changes:
        return True
    condition = {attribute: getattr(lead, attribute) for attribute in changes}
    written = Lead.objects(id=lead.id, partner=lead.partner, is_deleted=False, **condition).update_one(
        **{f"set__{attribute}": value for attribute, value in changes.items()}, set__updated_by=actor,
        set__updated_at=utcnow())
    if not written:
        return False
    emit("core.lead_updated", partner_ids=[lead.partner], actor=actor,
         payload={"leadId": str(lead.id), "fields": sorted(changes)})
    return True
