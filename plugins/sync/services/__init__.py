"""The sync plugin's decisions, re-exported for its routes, jobs and listeners.

Modules by concern: ``deal_fields`` (the four synced fields in both vocabularies), ``three_way``
(the comparison), ``portal_api`` (HubSpot calls, batched and retried), ``reconciling`` (applying
the comparison to a batch), ``creating`` (new leads become contacts, deals, associations),
``importing`` (new deals become leads), ``conflicts``, ``tasks`` (lifecycle, lease, checkpoint),
``run`` (the phases), ``links``, ``lead_writes``, ``listings`` (the marketplace, when enabled),
``pending`` (deals named by webhooks).
"""
from .conflicts import conflict_query, resolve, visible_conflict
from .pending import add_pending_deals
from .run import run_task
from .tasks import open_task, task_query, visible_task

__all__ = ["add_pending_deals", "conflict_query", "open_task", "resolve", "run_task", "task_query",
           "visible_conflict", "visible_task"]
