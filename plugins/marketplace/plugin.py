"""Hook implementations of the marketplace plugin."""
from __future__ import annotations

from pc_app import hookimpl


@hookimpl
def pc_config_defaults():
    """Declare the unmask policy and its daily limit, the price bounds and the score that triggers a match notice."""
    from pc_app.toolkit import Setting

    return {
        "MARKETPLACE_UNMASK": Setting("view", description="When a buyer sees a lead's contact data: view (on "
                                                          "opening), reservation or purchase"),
        "MARKETPLACE_UNMASK_DAILY_LIMIT": Setting(100, "int", description="Different listings a buyer partner may "
                                                                          "unmask per UTC day (then 429)"),
        "MARKETPLACE_MIN_PRICE": Setting(500, "int", description="Lowest listing price, in cents"),
        "MARKETPLACE_MAX_PRICE": Setting(1_000_000, "int", description="Highest listing price, in cents"),
        "MARKETPLACE_NOTIFY_SCORE": Setting(60, "int", description="Partners whose profile scores a new listing at "
                                                                   "least this are told about it"),
    }


@hookimpl
def pc_register_blueprints(app):
    """Register the marketplace routes."""
    from .routes import blp
    return [blp]


@hookimpl
def pc_register_models():
    """Declare the marketplace_listings collection."""
    from .models import Listing
    return [Listing]


@hookimpl
def pc_db_init(app):
    """Give listings stored before browse-by-pattern their ``fit_terms`` (idempotent)."""
    from .browse import backfill_fit_terms
    changed = backfill_fit_terms()
    return f"marketplace: fit_terms given to {changed} listings" if changed else None


@hookimpl
def pc_add_hookspecs(pm):
    """Offer ``pc_listing_vetoes`` and ``pc_buyer_relationship`` to the plugins that require the marketplace."""
    from . import hookspecs
    pm.add_hookspecs(hookspecs)


@hookimpl
def pc_lead_change_vetoes(lead):
    """A reserved lead stays as the buyer reserved it until the hold ends (edits and deletion: 409 ``reserved``)."""
    from .services import reserved_lead_veto

    return reserved_lead_veto(lead)


@hookimpl
def pc_onboarding_steps(partner):
    """Report ``firstLeadListed`` (position 40): done once the partner has listed any lead."""
    from pc_app.toolkit import OnboardingStep

    from .services import has_listed
    return [OnboardingStep("firstLeadListed", has_listed(str(partner.id)), position=40)]


@hookimpl
def pc_register_events():
    """Declare the marketplace's events."""
    from .events import EVENTS
    return EVENTS


@hookimpl
def pc_register_subscriptions():
    """Delist deleted leads and refresh the snapshot of edited ones, at once (in-request); delist a suspended
    seller's listings, durably (heard by name: without the registration plugin it is never emitted)."""
    from pc_app.toolkit import Subscription

    from . import listeners
    return [Subscription("marketplace.delist_deleted_leads", "core.lead_deleted", listeners.on_lead_deleted),
            Subscription("marketplace.refresh_snapshots", "core.lead_updated", listeners.on_lead_updated),
            Subscription("marketplace.delist_suspended_sellers", "registration.partner_suspended",
                         "plugins.marketplace.listeners.on_partner_suspended", durable=True)]


@hookimpl
def pc_app_created(app):
    """Refuse to start with an unknown MARKETPLACE_UNMASK, no daily unmask limit or inverted price bounds."""
    from pc_app.toolkit import ConfigError

    from .services import UNMASK_POLICIES
    if app.config["MARKETPLACE_UNMASK"] not in UNMASK_POLICIES:
        raise ConfigError("MARKETPLACE_UNMASK must be view, reservation or purchase.")
    if app.config["MARKETPLACE_UNMASK_DAILY_LIMIT"] < 1:
        raise ConfigError("MARKETPLACE_UNMASK_DAILY_LIMIT must be a positive whole number of listings per day.")
    if not 0 < app.config["MARKETPLACE_MIN_PRICE"] <= app.config["MARKETPLACE_MAX_PRICE"]:
        raise ConfigError("MARKETPLACE_MIN_PRICE must be positive and not above MARKETPLACE_MAX_PRICE.")


@hookimpl(optionalhook=True)
def pc_activity_types():
    """Describe this plugin's events for the activity feed (the activity plugin owns the hook)."""
    from .activity_types import TYPES
    return TYPES
