"""Sync schemas: the task as the UI follows it, conflicts side by side, the resolution body, list filters."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from pc_app.toolkit import ObjectIdString, PageArgsSchema, ResponseSchema, Schema, UtcDateTime, page_schema

from .models import CONFLICT_REASONS, CONFLICT_STATUSES, RESOLUTIONS, TASK_STATUSES, TRIGGERS
from .services.tasks import COUNT_NAMES

ID = validate.Regexp(r"^[0-9a-f]{24}$", error="Not an id.")


class TaskQueuedSchema(ResponseSchema):
    taskId = ma.fields.String(required=True)
    status = ma.fields.String(required=True, validate=validate.OneOf(("queued", "running")),
                              metadata={"description": "running when a task already runs"})


class TaskItemSchema(ResponseSchema):
    leadId = ma.fields.String(allow_none=True)
    dealId = ma.fields.String(allow_none=True)
    message = ma.fields.String()


class UnlinkedLeadSchema(ResponseSchema):
    leadId = ma.fields.String(allow_none=True)
    dealId = ma.fields.String(allow_none=True)
    reason = ma.fields.String(metadata={"description": "deal_deleted, deal_left_pipeline, lead_deleted, lead_moved "
                                                       "or lead_sold"})


class TaskSchema(ResponseSchema):
    id = ObjectIdString()
    partnerId = ObjectIdString(attribute="partner")
    trigger = ma.fields.String(validate=validate.OneOf(TRIGGERS))
    full = ma.fields.Boolean(metadata={"description": "False: only the deals HubSpot's webhooks named"})
    status = ma.fields.String(validate=validate.OneOf(TASK_STATUSES))
    progress = ma.fields.Method("_progress", metadata={
        "type": "object", "description": "How far the task is", "required": ["synced", "total", "percent"],
        "properties": {"synced": {"type": "integer", "description": "Leads and deals handled so far"},
                       "total": {"type": "integer", "description": "The partner's leads (plus deals pulled) as known "
                                                                   "now"},
                       "percent": {"type": "integer"}}})
    counts = ma.fields.Method("_counts", metadata={
        "type": "object", "description": "What the task did, by kind",
        "required": list(COUNT_NAMES), "properties": {name: {"type": "integer"} for name in COUNT_NAMES}})
    errors = ma.fields.List(ma.fields.Nested(TaskItemSchema), metadata={"description": "The first 100"})
    unlinkedLeads = ma.fields.List(ma.fields.Nested(UnlinkedLeadSchema), attribute="unlinked_leads",
                                   metadata={"description": "The first 100"})
    failureReason = ma.fields.String(attribute="failure_reason", allow_none=True)
    resumedFrom = ma.fields.String(attribute="resumed_from", allow_none=True)
    requestedBy = ma.fields.String(attribute="requested_by")
    createdAt = UtcDateTime(attribute="created_at")
    startedAt = UtcDateTime(attribute="started_at", allow_none=True)
    finishedAt = UtcDateTime(attribute="finished_at", allow_none=True)

    def _progress(self, task) -> dict:
        total = max(int(task.total or 0), int(task.synced or 0))
        if task.status == "completed":
            percent = 100
        else:
            percent = min(99, int(100 * task.synced / total)) if total else 0
        return {"synced": int(task.synced or 0), "total": total, "percent": percent}

    def _counts(self, task) -> dict:
        return {name: int((task.counts or {}).get(name, 0)) for name in COUNT_NAMES}


class TaskQueryArgsSchema(PageArgsSchema):
    status = ma.fields.String(validate=validate.OneOf(TASK_STATUSES),
                              metadata={"description": "Only tasks in this status"})
    partnerId = ma.fields.String(validate=ID, metadata={
        "description": "Platform staff: one partner's tasks (a partner user: its own; another partner's answers 404)"})


# A synced field's value: text (dealStatus, dealName, closeDate as YYYY-MM-DD), cents (dealAmount) or null.
_FIELD_VALUE = {"anyOf": [{"type": "string", "nullable": True}, {"type": "integer", "nullable": True}]}


class ConflictFieldSchema(ResponseSchema):
    field = ma.fields.String(validate=validate.OneOf(("dealStatus", "dealAmount", "dealName", "closeDate")))
    pcValue = ma.fields.Raw(allow_none=True, metadata={**_FIELD_VALUE, "description": "The lead's value now"})
    hubspotValue = ma.fields.Raw(allow_none=True, metadata={**_FIELD_VALUE, "description": "The deal's value now"})
    baseValue = ma.fields.Raw(allow_none=True, metadata={**_FIELD_VALUE,
                                                         "description": "Both sides' value at the last sync"})
    pcChangedAt = UtcDateTime(allow_none=True)
    hubspotChangedAt = UtcDateTime(allow_none=True)


class ConflictSchema(ResponseSchema):
    id = ObjectIdString()
    partnerId = ObjectIdString(attribute="partner")
    leadId = ObjectIdString(attribute="lead")
    dealId = ma.fields.String(attribute="deal_id")
    hubId = ma.fields.Integer(attribute="portal")
    reason = ma.fields.String(validate=validate.OneOf(CONFLICT_REASONS), metadata={
        "description": "both_changed; first_link (a lead and a deal that existed apart); listing_reserved or "
                       "lead_sold (the deal was won in HubSpot while the lead is reserved or sold)"})
    status = ma.fields.String(validate=validate.OneOf(CONFLICT_STATUSES))
    fields = ma.fields.List(ma.fields.Nested(ConflictFieldSchema))
    resolution = ma.fields.String(allow_none=True, validate=validate.OneOf(RESOLUTIONS))
    resolvedValues = ma.fields.Dict(attribute="resolved_values")
    resolvedBy = ma.fields.String(attribute="resolved_by", allow_none=True)
    resolvedAt = UtcDateTime(attribute="resolved_at", allow_none=True)
    createdAt = UtcDateTime(attribute="created_at")


class ConflictQueryArgsSchema(PageArgsSchema):
    status = ma.fields.String(validate=validate.OneOf(CONFLICT_STATUSES),
                              metadata={"description": "open: waiting for a person; resolved"})
    leadId = ma.fields.String(validate=ID, metadata={"description": "Only this lead's conflicts"})
    partnerId = ma.fields.String(validate=ID, metadata={
        "description": "Platform staff: one partner's conflicts (a partner user: its own; another partner's answers 404)"})


class ResolveSchema(Schema):
    resolution = ma.fields.String(required=True, validate=validate.OneOf(RESOLUTIONS))
    values = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw(allow_none=True), metadata={
        "description": "merge only: a value per conflicting field (either side's or a new one), validated like a "
                       "lead edit; dealStatus is a status, dealAmount cents, closeDate YYYY-MM-DD or null"})


TaskPageSchema = page_schema(TaskSchema, "SyncTaskPageSchema")
ConflictPageSchema = page_schema(ConflictSchema, "SyncConflictPageSchema")
