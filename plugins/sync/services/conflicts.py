"""Conflicts: recorded side by side when both sides changed a field, and resolved by a person on both sides.

One open conflict per lead (``open_key`` = the link id); while it is open the lead's sync pauses and
the other leads go on. Resolving writes HubSpot first (a failure there answers 502 and changes
nothing), then the lead, then the snapshot, and resumes the lead's sync. A resolution is claimed
with a conditional update, so two people resolving at once get one success and one 409.
"""
from __future__ import annotations

import time

import marshmallow as ma
from mongoengine.errors import NotUniqueError

from plugins.hubspot import services as hubspot_services
from pc_app.toolkit import (SYSTEM, Actor, Conflict, Invalid, LeadWriteSchema, NotFound, UpstreamFailed, emit,
                            owned_by, partner_filter, utcnow)

from ..models import DealLink, SyncConflict
from .deal_fields import (NAME_LIMIT, UnreadableValue, canonical, deal_properties, derived_deal_name,
                          hubspot_change_time, hubspot_values, pc_values, shown)
from .lead_writes import lead_changes, write_lead
from .links import iso_time, lead_left, leads_by_id
from .portal_api import PortalApi

RESOLVING_LEASE_MS = 60_000


def record(run, link, lead, pc: dict, hubspot: dict, fields: list[str], reason: str, properties: dict) -> None:
    """Open the lead's conflict (unless one is open already) and pause the lead's sync."""
    mapping = run.mapping
    current_status = lead.deal_status if lead is not None else None
    pc_time = iso_time(lead.updated_at) if lead is not None else None
    rows = [{"field": name,
             "pcValue": shown(name, pc.get(name), mapping, current_status),
             "hubspotValue": shown(name, hubspot.get(name), mapping),
             "baseValue": shown(name, (link.snapshot or {}).get(name), mapping),
             "pcChangedAt": pc_time or ((link.changed_at or {}).get(name) or {}).get("pc"),
             "hubspotChangedAt": hubspot_change_time(properties)} for name in fields]
    conflict = SyncConflict(partner=link.partner, lead=link.lead, link=link.id, portal=link.portal,
                            deal_id=link.deal_id, reason=reason, open_key=link.id, fields=rows,
                            detected_by=run.task_id)
    try:
        conflict.save(force_insert=True)
    except NotUniqueError:
        return  # already open for this lead
    DealLink.objects(id=link.id, status="linked").update_one(set__status="paused", set__updated_at=utcnow())
    run.count("conflicts")
    emit("sync.conflict_detected", partner_ids=[link.partner], actor=SYSTEM, payload={
        "conflictId": conflict.id, "partnerId": link.partner, "leadId": link.lead, "fields": list(fields),
        "reason": reason})


def visible_conflict(scope: str | None, conflict_id: str) -> SyncConflict:
    conflict = SyncConflict.objects(id=conflict_id, **partner_filter(scope)).first()
    if conflict is None:
        raise NotFound("conflict")
    return conflict


def conflict_query(scope: str | None, status: str | None = None, partner_id: str | None = None,
                   lead_id: str | None = None):
    query = partner_filter(scope, partner_id)
    if status:
        query["status"] = status
    if lead_id:
        query["lead"] = lead_id
    return SyncConflict.objects(**query).order_by("-created_at", "-id")


# --- resolving ------------------------------------------------------------------------------------

def _validated_merge(fields: list[str], values) -> dict:
    """The merge values in the API's terms, checked: one per conflicting field, each valid like a lead edit."""
    errors: dict = {}
    values = values if isinstance(values, dict) else {}
    for name in sorted(set(values) - set(fields)):
        errors[f"values.{name}"] = ["Not a field of this conflict."]
    for name in fields:
        if name not in values:
            errors[f"values.{name}"] = ["Give a value for every conflicting field."]
    lead_part = {k: values[k] for k in ("dealStatus", "dealAmount") if k in values and k in fields}
    if lead_part:
        try:
            LeadWriteSchema(partial=True).load(lead_part)  # exactly like a lead edit
        except ma.ValidationError as invalid:
            for name, messages in invalid.messages.items():
                errors[f"values.{name}"] = messages if isinstance(messages, list) else [str(messages)]
    if "dealName" in values and "dealName" in fields:
        name = values["dealName"]
        if not isinstance(name, str) or not name.strip() or len(name) > NAME_LIMIT:
            errors["values.dealName"] = [f"A deal name is 1 to {NAME_LIMIT} characters."]
    if "closeDate" in values and "closeDate" in fields:
        day = values["closeDate"]
        try:
            if day is not None:
                ma.fields.Date().deserialize(day)
        except ma.ValidationError:
            errors["values.closeDate"] = ["A date like 2026-03-31, or null."]
    if errors:
        raise Invalid(errors=errors)
    return {name: values[name] for name in fields}


def _claim(conflict: SyncConflict) -> SyncConflict:
    now = int(time.time() * 1000)
    claimed = SyncConflict.objects(id=conflict.id, status="open", resolving_until_ms__lt=now).modify(
        new=True, set__resolving_until_ms=now + RESOLVING_LEASE_MS)
    if claimed is None:
        current = SyncConflict.objects(id=conflict.id).only("status").first()
        if current is not None and current.status == "resolved":
            raise Conflict("alreadyResolved", "This conflict is already resolved.")
        raise Conflict("beingResolved", "Someone is resolving this conflict right now; reload it in a moment.")
    return claimed


def _release(conflict: SyncConflict) -> None:
    SyncConflict.objects(id=conflict.id, **owned_by(conflict), status="open").update_one(set__resolving_until_ms=0)


def resolve(scope: str | None, conflict_id: str, resolution: str, values, actor: Actor) -> SyncConflict:
    """Apply a person's decision to both sides; the lead's sync resumes."""
    conflict = visible_conflict(scope, conflict_id)
    if conflict.status == "resolved":
        raise Conflict("alreadyResolved", "This conflict is already resolved.")
    fields = [row["field"] for row in conflict.fields]
    if resolution == "merge":
        merge = _validated_merge(fields, values)
    elif values:
        raise Invalid("values", "Values are given only with the merge resolution.")
    conflict = _claim(conflict)
    try:
        return _apply(conflict, fields, resolution, merge if resolution == "merge" else None, actor)
    except Exception:
        _release(conflict)
        raise


def _apply(conflict: SyncConflict, fields: list[str], resolution: str, merge: dict | None, actor: Actor):
    status = hubspot_services.connection_status(conflict.partner)
    if not status["connected"] or status["hubId"] != conflict.portal:
        raise hubspot_services.NotConnected("HubSpot is not connected to this deal's portal any more; "
                                            "reconnect it to resolve this conflict.", "not_connected")
    mapping = dict(status["stageMapping"] or {})
    link = DealLink.objects(id=conflict.link).get()
    lead = leads_by_id([conflict.lead]).get(conflict.lead)  # as stored: a sold lead carries fields of other plugins
    api = PortalApi(conflict.partner)
    try:
        found, missing = api.read_deals([conflict.deal_id])
    except hubspot_services.NotConnected:
        raise
    except hubspot_services.HubSpotError as failure:
        raise UpstreamFailed("HubSpot", f"{failure.message} The conflict is still open.") from None
    if missing:
        DealLink.objects(id=link.id).update_one(set__status="unlinked", set__status_reason="deal_deleted",
                                                unset__deal_key=True)
        _close(conflict, resolution, {}, actor)
        raise Conflict("dealDeleted", "The deal was deleted in HubSpot, so the lead is no longer linked; "
                                      "the conflict is closed.")
    properties = found[conflict.deal_id]
    try:
        hubspot_now = hubspot_values(properties)
    except UnreadableValue as unreadable:
        raise Conflict("dealUnreadable", f"The deal has a value we cannot read: {unreadable}.") from None
    left = lead_left(lead, link)
    pc_now = pc_values(lead, link, mapping) if lead is not None else dict(link.snapshot or {})
    if resolution == "use_pc":
        target = {name: pc_now[name] for name in fields}
    elif resolution == "use_hubspot":
        target = {name: hubspot_now[name] for name in fields}
    else:
        target = {name: canonical(name, merge[name], mapping) for name in fields}

    to_hubspot = {name: value for name, value in target.items() if hubspot_now[name] != value}
    if to_hubspot:
        try:
            written, gone, refused = api.update_deals({conflict.deal_id: deal_properties(to_hubspot)})
        except hubspot_services.NotConnected:
            raise
        except hubspot_services.HubSpotError as failure:
            raise UpstreamFailed("HubSpot", f"{failure.message} Nothing was changed; the conflict is still open.") \
                from None
        if refused:
            raise UpstreamFailed("HubSpot", f"{refused[conflict.deal_id]} Nothing was changed in Partner Connector.")
        if gone:
            raise Conflict("dealDeleted", "The deal was deleted in HubSpot meanwhile; nothing was changed here.")
    if left is None:
        changes = lead_changes(lead, target, mapping)
        if not write_lead(lead, changes, actor):
            raise Conflict("leadChanged", "The lead changed while the conflict was being resolved; review it again.")
    snapshot = {**(link.snapshot or {}), **target}
    update = {"set__snapshot": snapshot, "set__last_synced_at": utcnow(), "set__updated_at": utcnow()}
    if "dealName" in target:
        update["set__deal_name"] = None if lead is not None and target["dealName"] == derived_deal_name(lead) \
            else target["dealName"]
    if "closeDate" in target:
        update["set__close_date"] = target["closeDate"]
    if link.status == "paused":
        update["set__status"] = "linked"
    DealLink.objects(id=link.id).update_one(**update)
    shown_values = {name: shown(name, value, mapping, lead.deal_status if lead is not None else None)
                    for name, value in target.items()}
    resolved = _close(conflict, resolution, shown_values, actor)
    if resolved is None:
        raise Conflict("alreadyResolved", "This conflict is already resolved.")
    return resolved


def _close(conflict: SyncConflict, resolution: str, values: dict, actor: Actor) -> SyncConflict | None:
    resolved = SyncConflict.objects(id=conflict.id, status="open").modify(
        new=True, set__status="resolved", unset__open_key=True, set__resolution=resolution,
        set__resolved_values=values, set__resolved_by=actor, set__resolved_at=utcnow(), set__resolving_until_ms=0,
        set__updated_at=utcnow())
    if resolved is not None:
        emit("sync.conflict_resolved", partner_ids=[conflict.partner], actor=actor, payload={
            "conflictId": conflict.id, "partnerId": conflict.partner, "leadId": conflict.lead,
            "resolution": resolution, "fields": [row["field"] for row in conflict.fields]})
    return resolved
