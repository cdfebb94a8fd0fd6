"""Hook implementations of the HubSpot plugin: settings, routes, model, periodic job, sealed tokens, onboarding."""
from pc_app import hookimpl
from pc_app.toolkit import Setting


@hookimpl
def pc_config_defaults():
    """Declare the HubSpot app credentials, endpoints, scopes and retry bounds."""
    return {
        # The HubSpot app's credentials: production refuses to start without them, or with a placeholder,
        # a sandbox default or a value shorter than HubSpot's (its ids and secrets are 36-character UUIDs).
        "HUBSPOT_CLIENT_ID": Setting("", required_in_production=True, min_length=32,
                                     description="Client id of the HubSpot public app"),
        "HUBSPOT_CLIENT_SECRET": Setting("", secret=True, required_in_production=True, min_length=32,
                                         description="Client secret of the HubSpot public app"),
        "HUBSPOT_APP_SECRET": Setting("", secret=True, required_in_production=True, min_length=32,
                                      description="Signs HubSpot's webhooks (X-HubSpot-Signature-v3)"),
        "HUBSPOT_REDIRECT_URI": Setting("http://localhost:3000/v1/integrations/hubspot/callback",
                                        description="Where HubSpot sends the user back after consent (this API's "
                                                    "/v1/integrations/hubspot/callback)"),
        "HUBSPOT_API_BASE": Setting("https://api.hubapi.com", description="Where every HubSpot call goes (the "
                                                                          "sandbox in dev and tests)"),
        "HUBSPOT_AUTHORIZE_URL": Setting("https://app.hubspot.com/oauth/authorize",
                                         description="HubSpot's consent page"),
        "HUBSPOT_SCOPES": Setting(["oauth", "crm.objects.deals.read", "crm.objects.deals.write",
                                   "crm.schemas.deals.read", "crm.schemas.deals.write", "crm.objects.contacts.read",
                                   "crm.objects.contacts.write"], "list",
                                  description="Scopes a connection asks for (comma list)"),
        "HUBSPOT_RETRY_ATTEMPTS": Setting(4, "int", description="Tries of a HubSpot call before its last answer "
                                                                "becomes a 502"),
        "HUBSPOT_RETRY_BACKOFF_MS": Setting(500, "int", description="First wait between those tries, growing "
                                                                    "exponentially"),
        "HUBSPOT_RETRY_MAX_DELAY_MS": Setting(30000, "int", description="Longest wait between tries, Retry-After "
                                                                        "included"),
        "HUBSPOT_TIMEOUT_SECONDS": Setting(20, "int", description="Read timeout of a HubSpot call"),
        "HUBSPOT_REFRESH_LOCK_WAIT_SECONDS": Setting(30, "int", description="How long a token refresh waits for "
                                                                            "another of the same connection"),
        # Every HubSpot call of the project (sync, pipeline, token refresh), per portal, across pods:
        # at most this many in any rolling window (HubSpot allows an app 110 per 10 seconds).
        "HUBSPOT_RATE_LIMIT": Setting(110, "int", description="HubSpot calls per portal in any rolling window, "
                                                              "across pods"),
        "HUBSPOT_RATE_LIMIT_WINDOW_SECONDS": Setting(10.0, "float", description="That rolling window"),
        # Public routes, per client address: the OAuth callback and HubSpot's webhook deliveries.
        "HUBSPOT_RATELIMIT_CALLBACK": Setting("30 per minute", description="OAuth callbacks per client address"),
        "HUBSPOT_RATELIMIT_WEBHOOKS": Setting("1200 per minute", description="HubSpot's webhook deliveries per "
                                                                             "client address"),
    }


@hookimpl
def pc_register_blueprints(app):
    """Register the HubSpot integration routes."""
    from .routes import blp

    return [blp]


@hookimpl
def pc_register_models():
    """Declare the HubSpotConnection document."""
    from .models import HubSpotConnection

    return [HubSpotConnection]


@hookimpl
def pc_register_jobs():
    """Refresh HubSpot tokens expiring within 10 minutes, every 5 minutes."""
    from pc_app.toolkit import JobSpec

    return [JobSpec(id="hubspot.refresh_tokens", func="plugins.hubspot.jobs.refresh_expiring_tokens", interval=300,
                    queue="default", timeout=240, description="Refresh HubSpot tokens expiring within 10 minutes")]


@hookimpl
def pc_sealed_fields():
    """The OAuth tokens of every connection (``pc-app rotate-keys`` reseals them)."""
    from .services import SEALED_TOKENS

    return [SEALED_TOKENS]


@hookimpl
def pc_register_events():
    """Declare the HubSpot plugin's events."""
    from .events import EVENTS

    return EVENTS


@hookimpl
def pc_onboarding_steps(partner):
    """Contribute ``hubspotConnected`` (position 20): the partner has a healthy HubSpot connection."""
    from .services import hubspot_connected_step

    return [hubspot_connected_step(partner)]


@hookimpl(optionalhook=True)
def pc_activity_types():
    """Describe this plugin's events for the activity feed (the activity plugin owns the hook)."""
    from .activity_types import TYPES
    return TYPES
