"""Hook implementations of the marketplace plugin."""
from __future__ import annotations

from pc_app import hookimpl


@hookimpl
def pc_config_defaults():
    """Declare the unmask policy and its daily limit, the price bounds and the score that triggers a match notice."""
    return {"MARKETPLACE_UNMASK": ("view", "str"), "MARKETPLACE_UNMASK_DAILY_LIMIT": (100, "int"),
            "MARKETPLACE_MIN_PRICE": (500, "int"), "MARKETPLACE_MAX_PRICE": (1_000_000, "int"),
            "MARKETPLACE_NOTIFY_SCORE": (60, "int")}


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
def pc_onboarding_steps(partner):
    """Report ``firstLeadListed``: done once the partner has listed any lead."""
    from .services import has_listed
    return [("firstLeadListed", has_listed(str(partner.id)))]


@hookimpl
def pc_on_event(app, event):
    """Delist deleted leads and refresh the snapshot of edited ones."""
    if event.name in ("core.lead_deleted", "core.lead_updated"):
        from .listeners import on_event
        with app.app_context():
            on_event(event)


@hookimpl
def pc_app_created(app):
    """Refuse to start with an unknown MARKETPLACE_UNMASK, no daily unmask limit or inverted price bounds."""
    from pc_app.config import ConfigError

    from .services import UNMASK_POLICIES
    if app.config["MARKETPLACE_UNMASK"] not in UNMASK_POLICIES:
        raise ConfigError("MARKETPLACE_UNMASK must be view, reservation or purchase.")
    if app.config["MARKETPLACE_UNMASK_DAILY_LIMIT"] < 1:
        raise ConfigError("MARKETPLACE_UNMASK_DAILY_LIMIT must be a positive whole number of listings per day.")
    if not 0 < app.config["MARKETPLACE_MIN_PRICE"] <= app.config["MARKETPLACE_MAX_PRICE"]:
        raise ConfigError("MARKETPLACE_MIN_PRICE must be positive and not above MARKETPLACE_MAX_PRICE.")
