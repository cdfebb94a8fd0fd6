"""Background jobs of the sync plugin: starting a sync (the one way to queue one), running it, the periodic sweep."""
from __future__ import annotations

import logging

from plugins.hubspot import services as hubspot_services
from pc_app.toolkit import HUBSPOT, SYSTEM, Actor, config, enqueue

from . import services

log = logging.getLogger("plugins.sync.jobs")


def start_sync(partner_id: str, trigger: str, actor: Actor):
    """The partner's running task, or a new one queued on the ``sync`` queue (also re-queues an abandoned one)."""
    task, must_queue = services.open_task(partner_id, trigger, actor)
    if must_queue:
        enqueue(run_sync_task, task.id, queue="sync", timeout=int(config("SYNC_JOB_TIMEOUT_SECONDS")),
                result_ttl=600)
    return task


def run_sync_task(task_id: str) -> None:
    """Run one task from its checkpoint; webhooks that arrived meanwhile get a task of their own."""
    partner_with_webhooks = services.run_task(task_id)
    if partner_with_webhooks:
        start_sync(partner_with_webhooks, "webhook", HUBSPOT)


def sync_connected_partners() -> int:
    """Periodic (15 min): a full sync for every partner with a healthy connection; abandoned tasks resume."""
    started = 0
    for partner_id in hubspot_services.connected_partner_ids():
        try:
            start_sync(partner_id, "schedule", SYSTEM)
            started += 1
        except hubspot_services.HubSpotError as refused:
            log.info("no sync for partner %s: %s", partner_id, refused.reason)
    return started
