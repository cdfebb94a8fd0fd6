"""The sync plugin's collections: a lead's link to its deal, sync tasks, conflicts, and each partner's pull cursor."""
from __future__ import annotations

from mongoengine import BooleanField, DictField, IntField, ListField, StringField

from pc_app.toolkit import BaseDocument, DateTimeField, RefField, TimestampedDocument, count_writes_by_owner, utcnow

LINK_STATUSES = ("pending", "linked", "paused", "unlinked")
TASK_STATUSES = ("queued", "running", "completed", "failed")
TRIGGERS = ("manual", "schedule", "webhook", "connected", "resolution")
CONFLICT_STATUSES = ("open", "resolved")
CONFLICT_REASONS = ("both_changed", "first_link", "listing_reserved", "lead_sold")
RESOLUTIONS = ("use_pc", "use_hubspot", "merge")


class DealLink(TimestampedDocument):
    """One lead of one partner and its deal in the partner's portal.

    ``snapshot`` holds each synced field's value at the last sync, in PC's terms (the stage id for
    ``dealStatus``): the base of the three-way comparison. ``deal_key`` (``<portal>:<deal id>``) is
    unset when the deal is gone, so a deal belongs to one link at most (sparse unique index).
    ``create_attempted`` is set before a deal create is sent: HubSpot has no idempotency keys, so a
    resumed sync looks for the deal by our marker property before creating it again.
    """
    meta = {"collection": "sync_deal_links", "indexes": [
        {"fields": ["link_key"], "unique": True},
        {"fields": ["deal_key"], "unique": True, "sparse": True},
        ("partner", "status"),
        "lead",
    ]}

    partner = RefField(required=True)
    lead = RefField(required=True)
    link_key = StringField(required=True)  # "<partner>:<lead>": one link per lead and partner
    portal = IntField(required=True)
    deal_id = StringField(null=True)
    deal_key = StringField()
    contact_id = StringField(null=True)
    associated = BooleanField(default=False)
    create_attempted = BooleanField(default=False)
    status = StringField(choices=LINK_STATUSES, default="pending", required=True)
    status_reason = StringField(null=True, max_length=40)
    snapshot = DictField(default=dict)
    # field -> {"pc": ISO time, "hubspot": ISO time}: when each side last changed it, as far as we saw
    changed_at = DictField(default=dict)
    # PC's side of the two deal fields a lead has no field for: a name or close date HubSpot (or a
    # person resolving a conflict) gave the deal. Unset: the name follows the lead, no close date yet.
    deal_name = StringField(null=True, max_length=300)
    close_date = StringField(null=True, max_length=10)
    last_synced_at = DateTimeField()

    @staticmethod
    def key_for(partner_id: str, lead_id: str) -> str:
        return f"{partner_id}:{lead_id}"

    @staticmethod
    def deal_key_for(portal: int, deal_id: str) -> str:
        return f"{portal}:{deal_id}"


class SyncTask(TimestampedDocument):
    """One run of the sync for a partner, in checkpointed batches.

    ``running_key`` holds the partner id while the task is queued or running (sparse unique): one
    running task per partner. The worker running it is ``owner`` until ``lease_until_ms``; each
    checkpoint extends the lease, and a task whose lease ran out is taken over by the next run.
    Every write names the partner (``services.tasks``; the claim's reply does), so a sync's progress
    ends only its own partner's kept task list (``count_writes_by_owner`` below).
    """
    meta = {"collection": "sync_tasks", "indexes": [
        {"fields": ["running_key"], "unique": True, "sparse": True},
        ("partner", "-created_at"),
        "-created_at",  # platform staff list every task, newest first
    ]}

    partner = RefField(required=True)
    portal = IntField(null=True)
    trigger = StringField(choices=TRIGGERS, required=True)
    full = BooleanField(default=True)  # False: only the deals HubSpot's webhooks named
    requested_by = StringField(required=True)
    status = StringField(choices=TASK_STATUSES, default="queued", required=True)
    running_key = StringField()
    owner = StringField(null=True)
    lease_until_ms = IntField(default=0)
    queued_at_ms = IntField(default=0)
    checkpoint = DictField(default=dict)
    resumed_from = RefField(null=True)
    total = IntField(default=0)
    synced = IntField(default=0)
    counts = DictField(default=dict)
    errors = ListField(DictField(), default=list)
    unlinked_leads = ListField(DictField(), default=list)
    failure_reason = StringField(null=True, max_length=500)
    started_at = DateTimeField()
    finished_at = DateTimeField()


class SyncConflict(TimestampedDocument):
    """Both sides changed some of a lead's fields to different values; a person decides.

    ``fields`` lists each conflicting field side by side (PC value, HubSpot value, value at the
    last sync, when each side changed it), in the API's terms. ``open_key`` holds the link id while
    the conflict is open: one open conflict per lead (sparse unique).
    """
    meta = {"collection": "sync_conflicts", "indexes": [
        {"fields": ["open_key"], "unique": True, "sparse": True},
        ("partner", "status", "-created_at"),
        ("partner", "-created_at"),
        "-created_at",  # platform staff list every conflict, newest first
        "lead",
    ]}

    partner = RefField(required=True)
    lead = RefField(required=True)
    link = RefField(required=True)
    portal = IntField(required=True)
    deal_id = StringField(required=True)
    reason = StringField(choices=CONFLICT_REASONS, required=True)
    status = StringField(choices=CONFLICT_STATUSES, default="open", required=True)
    open_key = StringField()
    fields = ListField(DictField(), default=list)
    detected_by = RefField(null=True)
    resolving_until_ms = IntField(default=0)
    resolution = StringField(choices=RESOLUTIONS, null=True)
    resolved_values = DictField(default=dict)
    resolved_by = StringField(null=True)
    resolved_at = DateTimeField()


class PartnerSyncState(BaseDocument):
    """A partner's pull cursor and what a failed task left to resume."""
    meta = {"collection": "sync_partner_states", "indexes": [{"fields": ["partner"], "unique": True}]}

    partner = RefField(required=True)
    portal = IntField(null=True)
    # hs_lastmodifieddate (epoch ms) up to which every change in HubSpot has been pulled
    watermark_ms = IntField(default=0)
    marker_ready_portal = IntField(null=True)  # the portal where our marker property exists
    resume_task = RefField(null=True)
    last_completed_at = DateTimeField()
    updated_at = DateTimeField(default=utcnow)


SYNC_MODELS = [DealLink, SyncTask, SyncConflict, PartnerSyncState]


# A partner's task list and conflict list are kept until a write that may reach that partner's tasks,
# or conflicts (pc_app.pages): another partner's sync leaves them.
count_writes_by_owner(SyncTask._meta["collection"], "partner")
count_writes_by_owner(SyncConflict._meta["collection"], "partner")
