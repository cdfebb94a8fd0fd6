"""Sync tasks: one running task per partner, claimed by one worker at a time under a lease, checkpointed, finished.

A trigger while a task runs answers that task (a manual trigger also widens a webhook task to a full
sync). A task whose worker died keeps its ``running_key``; when its lease has run out the next
trigger — the 15-minute schedule at the latest — queues it again and a worker takes it over from its
checkpoint. A failed task (HubSpot unreachable, a token that cannot be refreshed) leaves its
checkpoint to the partner's next task.
"""
from __future__ import annotations

import os
import secrets
import socket
import time

from mongoengine.errors import NotUniqueError

from plugins.hubspot import services as hubspot_services
from pc_app.toolkit import SYSTEM, Actor, Lead, NotFound, config, count_matching, emit, partner_filter, utcnow

from ..models import PartnerSyncState, SyncTask

COUNT_NAMES = ("created", "updated", "pulled", "conflicts", "errors", "unlinked", "leadsCreated", "delisted",
               "dealsRead")
KEPT_ITEMS = 100  # errors and unlinked leads listed per task (the counts go on)
# Webhooks and resolutions only pull the deals they name; the others compare every lead and deal.
FULL_TRIGGERS = ("manual", "schedule", "connected")


def now_ms() -> int:
    return int(time.time() * 1000)


def open_task(partner_id: str, trigger: str, actor: Actor) -> tuple[SyncTask, bool]:
    """The partner's running task, or a new queued one: ``(task, must_queue)``.

    ``must_queue`` is True for a new task and for a running one whose worker is gone (its lease, or
    for a task never picked up its queueing grace, ran out), so the caller queues a job for it.
    :raises NotConnected: (409) the partner has no healthy HubSpot connection.
    """
    partner_id = str(partner_id)
    status = hubspot_services.connection_status(partner_id)
    if not status["connected"]:
        raise hubspot_services.NotConnected("Connect HubSpot before syncing.", "not_connected")
    full = trigger in FULL_TRIGGERS
    for _attempt in range(3):
        running = SyncTask.objects(running_key=partner_id).first()
        if running is not None:
            if full and not running.full:
                running = SyncTask.objects(id=running.id, partner=partner_id).modify(new=True, set__full=True) or running
            return running, _is_stale(running)
        resume = _resumable_checkpoint(partner_id)
        task = SyncTask(partner=partner_id, portal=status["hubId"], trigger=trigger, full=full, requested_by=actor,
                        running_key=partner_id, queued_at_ms=now_ms(), checkpoint=resume[0], resumed_from=resume[1],
                        counts={name: 0 for name in COUNT_NAMES})
        try:
            task.save(force_insert=True)
        except NotUniqueError:
            continue  # another trigger won the race: answer its task
        return task, True
    raise RuntimeError("Could not open a sync task; try again.")


def _is_stale(task: SyncTask) -> bool:
    lease = int(config("SYNC_LEASE_SECONDS")) * 1000
    if task.status == "queued":
        return task.queued_at_ms + lease < now_ms()
    return task.lease_until_ms < now_ms()


def _resumable_checkpoint(partner_id: str) -> tuple[dict, str | None]:
    """The checkpoint a failed task left, taken once by the next task."""
    state = PartnerSyncState.objects(partner=partner_id, resume_task__ne=None).modify(unset__resume_task=True)
    if state is None or not state.resume_task:
        return {}, None
    failed = SyncTask.objects(id=state.resume_task).only("checkpoint").first()
    return (dict(failed.checkpoint or {}), failed.id) if failed is not None else ({}, None)


def owner_token() -> str:
    """Who runs a task: host, process id (an operator can find and stop it) and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def claim(task_id: str, owner: str) -> SyncTask | None:
    """Take the task for this worker unless another holds a live lease (None then, or when it is done).

    The worker knows only the task's id: the ``modify``'s reply names the task's partner, so the claim
    ends that partner's kept task list only (``collection_versions``).
    """
    lease_ms = int(config("SYNC_LEASE_SECONDS")) * 1000
    now = now_ms()
    task = SyncTask.objects(id=task_id, status__in=("queued", "running"), lease_until_ms__lt=now).modify(
        new=True, set__status="running", set__owner=owner, set__lease_until_ms=now + lease_ms,
        set__updated_at=utcnow())
    if task is not None and task.started_at is None:
        SyncTask.objects(id=task.id, partner=task.partner, owner=owner).update_one(set__started_at=utcnow())
    return task


def is_full(task_id: str) -> bool:
    """Read again: a manual trigger may have widened a webhook task to a full sync meanwhile."""
    task = SyncTask.objects(id=task_id).only("full").first()
    return bool(task and task.full)


def save_progress(task: SyncTask, owner: str, *, checkpoint: dict, counts: dict, synced: int, total: int,
                  errors: list, unlinked: list) -> bool:
    """Write the checkpoint and counts and extend the lease; False when another worker took the task over."""
    lease_ms = int(config("SYNC_LEASE_SECONDS")) * 1000
    return bool(SyncTask.objects(id=task.id, partner=task.partner, owner=owner, status="running").update_one(
        set__checkpoint=checkpoint, set__counts=counts, set__synced=synced, set__total=total,
        set__errors=errors[:KEPT_ITEMS], set__unlinked_leads=unlinked[:KEPT_ITEMS],
        set__lease_until_ms=now_ms() + lease_ms, set__updated_at=utcnow()))


def extend_lease(task_id: str, partner_id: str, owner: str) -> bool:
    """Keep the task while a long batch runs; False when another worker took it over."""
    lease_ms = int(config("SYNC_LEASE_SECONDS")) * 1000
    return bool(SyncTask.objects(id=task_id, partner=partner_id, owner=owner, status="running").update_one(
        set__lease_until_ms=now_ms() + lease_ms))


def finish(task: SyncTask, owner: str, counts: dict) -> SyncTask | None:
    """running → completed (once): the running key is freed, the event goes out, HubSpot's status learns it."""
    done = SyncTask.objects(id=task.id, partner=task.partner, owner=owner, status="running").modify(
        new=True, set__status="completed", unset__running_key=True, set__finished_at=utcnow(),
        set__lease_until_ms=0, set__updated_at=utcnow())
    if done is None:
        return None
    partner_state(task.partner)
    PartnerSyncState.objects(partner=task.partner).update_one(set__last_completed_at=utcnow(),
                                                               set__updated_at=utcnow())
    hubspot_services.mark_synced(task.partner)
    emit("sync.task_completed", partner_ids=[task.partner], actor=SYSTEM, payload={
        "taskId": task.id, "partnerId": task.partner, "trigger": task.trigger,
        **{name: int(counts.get(name, 0)) for name in ("created", "updated", "pulled", "conflicts", "errors")},
        "unlinked": int(counts.get("unlinked", 0)), "leadsCreated": int(counts.get("leadsCreated", 0))})
    return done


def fail(task: SyncTask, owner: str | None, reason: str) -> SyncTask | None:
    """queued/running → failed (once), keeping the checkpoint for the partner's next task."""
    query = {"id": task.id, "partner": task.partner, "status__in": ("queued", "running")}
    if owner is not None:
        query["owner"] = owner
    failed = SyncTask.objects(**query).modify(new=True, set__status="failed", unset__running_key=True,
                                              set__failure_reason=reason[:500], set__finished_at=utcnow(),
                                              set__lease_until_ms=0, set__updated_at=utcnow())
    if failed is None:
        return None
    partner_state(task.partner)
    PartnerSyncState.objects(partner=task.partner).update_one(set__resume_task=task.id, set__updated_at=utcnow())
    emit("sync.task_failed", partner_ids=[task.partner], actor=SYSTEM,
         payload={"taskId": task.id, "partnerId": task.partner, "reason": reason[:500]})
    return failed


def partner_state(partner_id: str) -> PartnerSyncState:
    """The partner's pull cursor, created on first use (insert, never an upsert: ids stay 24-hex strings)."""
    state = PartnerSyncState.objects(partner=str(partner_id)).first()
    if state is None:
        try:
            state = PartnerSyncState(partner=str(partner_id))
            state.save(force_insert=True)
        except NotUniqueError:
            state = PartnerSyncState.objects(partner=str(partner_id)).first()
    return state


def count_live_leads(partner_id: str) -> int:
    return count_matching(Lead.objects(partner=str(partner_id), is_deleted=False))


def visible_task(scope: str | None, task_id: str) -> SyncTask:
    """A task of the partner ``scope`` (any for platform staff); another partner's is a 404."""
    task = SyncTask.objects(id=task_id, **partner_filter(scope)).first()
    if task is None:
        raise NotFound("sync task")
    return task


def task_query(scope: str | None, partner_id: str | None = None, status: str | None = None):
    query = partner_filter(scope, partner_id)
    if status:
        query["status"] = status
    return SyncTask.objects(**query).order_by("-created_at", "-id")
