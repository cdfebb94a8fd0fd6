"""Hook implementations of the sync plugin: settings, routes, models, the 15-minute job, events, subscriptions."""
from pc_app import hookimpl


@hookimpl
def pc_config_defaults():
    """Batch sizes, the pull window's overlap, the task lease, and the retries of HubSpot calls."""
    from pc_app.toolkit import Setting

    return {
        "SYNC_BATCH_SIZE": Setting(500, "int", description="Leads per checkpointed batch (HubSpot calls carry 100)"),
        "SYNC_PULL_PAGE_SIZE": Setting(200, "int", description="Deals per search page (HubSpot allows 200)"),
        "SYNC_PULL_OVERLAP_SECONDS": Setting(60, "int", description="Changes re-read behind the watermark (HubSpot's "
                                                                    "search index lags)"),
        "SYNC_LEASE_SECONDS": Setting(120, "int", description="A silent worker's task is taken over after this"),
        "SYNC_JOB_TIMEOUT_SECONDS": Setting(3600, "int", description="RQ timeout of one sync task"),
        "SYNC_CALL_ATTEMPTS": Setting(5, "int", description="Tries of a HubSpot call still failing after urllib3's "
                                                            "retries"),
        "SYNC_RETRY_BASE_MS": Setting(1000, "int", description="First wait between those tries, doubling "
                                                               "(Retry-After wins)"),
        "SYNC_RETRY_MAX_MS": Setting(30000, "int", description="Longest wait between those tries"),
    }


@hookimpl
def pc_register_blueprints(app):
    """Register the sync routes."""
    from .routes import blp

    return [blp]


@hookimpl
def pc_register_models():
    """Declare the links, tasks, conflicts and pull cursors."""
    from .models import SYNC_MODELS

    return list(SYNC_MODELS)


@hookimpl
def pc_register_jobs():
    """Sync every connected partner every 15 minutes (abandoned tasks resume from their checkpoint)."""
    from pc_app.toolkit import JobSpec

    return [JobSpec(id="sync.sync_partners", func="plugins.sync.jobs.sync_connected_partners",
                    interval=900, queue="sync", timeout=300,
                    description="Queue a HubSpot sync for every connected partner")]


@hookimpl
def pc_register_events():
    """Declare the sync plugin's events."""
    from .events import EVENTS

    return EVENTS


@hookimpl
def pc_register_subscriptions():
    """HubSpot's webhooks queue a targeted pull; a new connection gets its first sync (both in-request)."""
    from pc_app.toolkit import Subscription

    from . import listeners

    return [Subscription("sync.pull_webhook_deals", "hubspot.webhook_received", listeners.on_webhook_received),
            Subscription("sync.first_sync", "hubspot.connected", listeners.on_connected)]


@hookimpl(optionalhook=True)
def pc_activity_types():
    """Describe this plugin's events for the activity feed (the activity plugin owns the hook)."""
    from .activity_types import TYPES
    return TYPES
