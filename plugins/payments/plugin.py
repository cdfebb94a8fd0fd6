"""Hook implementations of the payments plugin."""
from pc_app import hookimpl


@hookimpl
def pc_config_defaults():
    """Declare the reservation timings, the platform's fee and the Stripe connection."""
    from pc_app.toolkit import Setting

    return {
        "PAYMENTS_RESERVATION_HOURS": Setting(168.0, "float", aliases=("RESERVATION_HOURS",),
                                              description="How long a reservation holds a lead (fractions allowed)"),
        "PAYMENTS_EXTENSION_HOURS": Setting(168.0, "float", aliases=("EXTENSION_HOURS",),
                                            description="How much one extension adds"),
        "PAYMENTS_MAX_EXTENSIONS": Setting(1, "int", aliases=("MAX_EXTENSIONS",),
                                           description="Extensions per reservation"),
        "PAYMENTS_MAX_HOLD_HOURS": Setting(336.0, "float", description="A hold never lasts longer in total"),
        "PAYMENTS_MAX_ACTIVE_RESERVATIONS": Setting(5, "int", aliases=("MAX_ACTIVE_RESERVATIONS",),
                                                    description="Active holds per buyer partner"),
        "PAYMENTS_REMINDER_HOURS": Setting(24.0, "float", description="The buyer is reminded this long before "
                                                                       "the hold ends"),
        "PAYMENTS_PLATFORM_FEE_BPS": Setting(2000, "int", aliases=("PLATFORM_FEE_BPS",),
                                             description="The platform's share in basis points (2000 = 20 %)"),
        "PAYMENTS_PAYMENT_HOLD_MINUTES": Setting(30.0, "float", description="How long a payment in flight (3-D "
                                                                            "Secure) keeps its reservation alive"),
        "PAYMENTS_PAYOUT_STATUS_MAX_AGE_SECONDS": Setting(300, "int", description="Payout status older than "
                                                                                  "this is re-read from Stripe"),
        "PAYMENTS_RATELIMIT_WEBHOOKS": Setting("1200 per minute", "str", description="Stripe's webhook deliveries "
                                                                                       "per client address"),
        # Stripe's keys are at least 32 characters (sk_live_ and 24 or more; whsec_ and 32).
        "STRIPE_SECRET_KEY": Setting("", "str", secret=True, required_in_production=True, min_length=32,
                                     description="The platform's Stripe secret key (sk_live_...)"),
        "STRIPE_WEBHOOK_SECRET": Setting("", "str", secret=True, required_in_production=True, min_length=32,
                                         description="Signing secret of the Stripe webhook endpoint (whsec_...)"),
        "STRIPE_API_BASE": Setting("https://api.stripe.com", "str", description="Where every Stripe call goes (the "
                                                                                "sandbox in dev and tests)"),
        "STRIPE_TIMEOUT_SECONDS": Setting(20.0, "float", description="Per Stripe call"),
        "STRIPE_MAX_NETWORK_RETRIES": Setting(2, "int", description="The SDK retries with the same idempotency "
                                                                     "key"),
    }


@hookimpl
def pc_app_created(app):
    """Refuse to start with timings or a fee that make no sense, naming the setting."""
    from .services.checks import check_settings

    check_settings(app.config)


@hookimpl
def pc_register_blueprints(app):
    """Register reservations and purchases (under /v1/marketplace), payouts, Stripe's webhook and invoices."""
    from .routes import BLUEPRINTS

    return list(BLUEPRINTS)


@hookimpl
def pc_register_models():
    """Declare the payments collections."""
    from .models import PAYMENTS_MODELS

    return list(PAYMENTS_MODELS)


@hookimpl
def pc_register_events():
    """Declare the payments events."""
    from .events import EVENTS

    return EVENTS


@hookimpl
def pc_register_jobs():
    """Sweep reservations and payments every minute (expiry, reminders, unfinished sales, unprocessed webhooks)."""
    from pc_app.toolkit import JobSpec

    return [JobSpec(id="payments.sweep_reservations", func="plugins.payments.jobs.sweep", interval=60, queue="default",
                    timeout=120, description="Expire lapsed reservations, send reminders, finish interrupted "
                                             "purchases and webhooks")]


@hookimpl
def pc_onboarding_steps(partner):
    """Report ``payoutsEnabled`` (position 30): Stripe pays out to the partner (always done for the house seller)."""
    from pc_app.toolkit import OnboardingStep

    from .services.payouts import payouts_enabled

    return [OnboardingStep("payoutsEnabled", bool(partner.is_platform) or payouts_enabled(partner.id), position=30)]


@hookimpl
def pc_listing_vetoes(partner, lead):
    """Refuse listing while Stripe cannot pay the seller out (not for the house seller)."""
    from .services.payouts import listing_veto

    return listing_veto(partner)


@hookimpl
def pc_buyer_relationship(listing, partner):
    """Say ``purchased`` or ``reserved`` when the partner bought or holds the listing."""
    from .services.reservations import relationship_of

    return relationship_of(listing.id, partner.id)


@hookimpl(optionalhook=True)
def pc_activity_types():
    """Describe this plugin's events for the activity feed (the activity plugin owns the hook)."""
    from .activity_types import TYPES
    return TYPES
