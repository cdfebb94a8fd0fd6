"""Hook implementations of the activity plugin: settings, its hook, routes, models, subscription, jobs."""
from pc_app import hookimpl


@hookimpl
def pc_config_defaults():
    """Declare retention, live-stream, unsubscribe-link and outgoing-webhook settings."""
    from pc_app.toolkit import Setting

    return {
        "ACTIVITY_RETENTION_DAYS": Setting(365, "int", description="Activities older than this are removed"),
        "ACTIVITY_UNREAD_COUNT_CAP": Setting(99, "int", description="unreadCount is counted up to this many"),
        "ACTIVITY_STREAM_HEARTBEAT_SECONDS": Setting(15.0, "float", description="Seconds between a live stream's "
                                                                                "heartbeat comments"),
        "ACTIVITY_STREAM_MAX_SECONDS": Setting(3600.0, "float", description="A live stream ends after this, even "
                                                                            "if its access token lives longer"),
        "ACTIVITY_STREAM_TICKET_SECONDS": Setting(30, "int", description="Lifetime of a live-stream ticket"),
        "ACTIVITY_STREAMS_PER_PROCESS": Setting(40, "int", description="Live streams one API process holds; the "
                                                                       "next answers 503 (keep below GUNICORN_THREADS)"),
        "ACTIVITY_PUBLIC_API_URL": Setting("http://localhost:3000", "str", description="The API's public URL, for "
                                                                                       "one-click unsubscribe headers"),
        "WEBHOOKS_TIMEOUT_SECONDS": Setting(10.0, "float", description="Per connect and per read of a webhook "
                                                                       "delivery"),
        "WEBHOOKS_RETRY_BASE_SECONDS": Setting(30.0, "float", description="First retry of a failed delivery; "
                                                                          "doubles, 20 % jitter, capped at 6 h"),
        "WEBHOOKS_RETRY_WINDOW_SECONDS": Setting(86400.0, "float", description="Retries stop, and the endpoint is "
                                                                               "disabled, after this"),
        "WEBHOOKS_ROTATION_GRACE_HOURS": Setting(24.0, "float", description="How long a rotated secret still "
                                                                            "signs"),
        "WEBHOOKS_MAX_ENDPOINTS": Setting(10, "int", description="Webhook endpoints per partner"),
        "WEBHOOKS_TARGET_RULES": Setting("", "str", description="production (https to public addresses) or "
                                                                "development; empty: production under "
                                                                "PC_ENV=production"),
    }


@hookimpl
def pc_add_hookspecs(pm):
    """Offer ``pc_activity_types`` to every plugin (others implement it with ``optionalhook=True``)."""
    from . import hookspecs
    pm.add_hookspecs(hookspecs)


@hookimpl
def pc_activity_types():
    """Describe the core's events and the activity plugin's own."""
    from .core_types import TYPES
    return TYPES


@hookimpl
def pc_register_events():
    """Declare the activity plugin's events."""
    from .events import EVENTS
    return EVENTS


@hookimpl
def pc_register_subscriptions():
    """Hear every event at least once and fan it out in the delivery job."""
    from pc_app.toolkit import Subscription
    return [Subscription("activity.fan_out", "*", "plugins.activity.listeners.fan_out", durable=True)]


@hookimpl
def pc_sealed_fields():
    """The webhook endpoints' signing secrets (``pc-app rotate-keys`` reseals them)."""
    from .services.webhook_endpoints import SEALED_SECRETS

    return [SEALED_SECRETS]


@hookimpl
def pc_register_blueprints(app):
    """Register the feed, stream, preferences, unsubscribe and webhook routes."""
    from .routes import activities_blp, partner_blp, unsubscribe_blp
    return [activities_blp, partner_blp, unsubscribe_blp]


@hookimpl
def pc_register_models():
    """Declare the activity plugin's collections."""
    from .models import Activity, ActivityPreferences, EmailOptOut, WebhookDelivery, WebhookEndpoint
    return [Activity, ActivityPreferences, EmailOptOut, WebhookEndpoint, WebhookDelivery]


@hookimpl
def pc_register_jobs():
    """Sweep due webhook retries every minute and purge expired activities every hour."""
    from pc_app.toolkit import JobSpec
    return [JobSpec(id="activity.retry_webhooks", func="plugins.activity.jobs.sweep_webhook_retries", interval=60,
                    queue="webhooks", timeout=120, description="Queue due webhook retries"),
            JobSpec(id="activity.purge_expired", func="plugins.activity.jobs.purge_expired_activities",
                    interval=3600, queue="default", timeout=600,
                    description="Delete activities past ACTIVITY_RETENTION_DAYS")]


@hookimpl
def pc_app_created(app):
    """Read every plugin's activity types once, and refuse unsafe webhook rules in production."""
    from pc_app.toolkit import ConfigError

    from .activity_types import build_activity_types
    if app.config["WEBHOOKS_TARGET_RULES"] not in ("", "production", "development"):
        raise ConfigError("WEBHOOKS_TARGET_RULES must be production, development or empty (decided by PC_ENV).")
    if app.config["PC_ENV"] == "production" and app.config["WEBHOOKS_TARGET_RULES"] == "development":
        raise ConfigError("WEBHOOKS_TARGET_RULES=development would let webhooks reach private addresses; "
                          "production refuses it.")
    for name in ("ACTIVITY_RETENTION_DAYS", "ACTIVITY_UNREAD_COUNT_CAP", "ACTIVITY_STREAMS_PER_PROCESS",
                 "ACTIVITY_STREAM_TICKET_SECONDS",
                 "WEBHOOKS_MAX_ENDPOINTS"):
        if app.config[name] <= 0:
            raise ConfigError(f"{name} must be a positive whole number.")
    for name in ("ACTIVITY_STREAM_HEARTBEAT_SECONDS", "ACTIVITY_STREAM_MAX_SECONDS", "WEBHOOKS_TIMEOUT_SECONDS",
                 "WEBHOOKS_RETRY_BASE_SECONDS", "WEBHOOKS_RETRY_WINDOW_SECONDS"):
        if app.config[name] <= 0:
            raise ConfigError(f"{name} must be a positive number of seconds.")
    app.extensions["activity_types"] = build_activity_types(app)
