"""Hook implementations of the analytics plugin."""
from __future__ import annotations

from pc_app import hookimpl


@hookimpl
def pc_config_defaults():
    """Declare the reporting currency, the length of the top lists and the seed's business targets."""
    from pc_app.toolkit import Setting

    return {
        "ANALYTICS_CURRENCY": Setting("usd", "str", description="The currency amounts are summed in (ISO, lower-case)"),
        "ANALYTICS_TOP_N": Setting(10, "int", description="Rows of the top industries, sellers and buyers (1-100)"),
        "ANALYTICS_TARGET_ACTIVE_PARTNERS": Setting(50, "int", description="Target: active partners"),
        "ANALYTICS_TARGET_MONTHLY_TRANSACTIONS": Setting(500, "int", description="Target: purchases a month"),
        "ANALYTICS_TARGET_MONTHLY_VOLUME": Setting(10_000_000, "int", description="Target: GMV a month, cents"),
        "ANALYTICS_TARGET_MONTHLY_PLATFORM_REVENUE": Setting(2_000_000, "int",
                                                             description="Target: platform fees a month, cents"),
    }


@hookimpl
def pc_register_blueprints(app):
    """Register the analytics routes."""
    from .routes import blp
    return [blp]


@hookimpl
def pc_register_models():
    """Declare the analytics_facts and analytics_rollups collections."""
    from .models import Fact, Rollup
    return [Fact, Rollup]


@hookimpl
def pc_register_subscriptions():
    """Fold every event that moves a number into the daily rollups, durably (at least once)."""
    from pc_app.toolkit import Subscription

    from .services.contributions import FOLDED_EVENTS
    from .services.rebuild import SUBSCRIPTION_ID
    return [Subscription(SUBSCRIPTION_ID, FOLDED_EVENTS, "plugins.analytics.listeners.fold_event", durable=True)]


@hookimpl
def pc_register_commands(cli):
    """Add ``pc-app analytics rebuild``: recompute the rollups from the stored facts and report differences."""
    from .commands import analytics_group
    cli.add_command(analytics_group)


@hookimpl
def pc_app_created(app):
    """Refuse to start with a malformed currency, top-list length or a negative target."""
    import re

    from pc_app.toolkit import ConfigError

    if not re.fullmatch(r"[a-z]{3}", app.config["ANALYTICS_CURRENCY"]):
        raise ConfigError("ANALYTICS_CURRENCY must be an ISO currency code in lower case, like usd.")
    if not 1 <= app.config["ANALYTICS_TOP_N"] <= 100:
        raise ConfigError("ANALYTICS_TOP_N must be between 1 and 100.")
    for name in ("ANALYTICS_TARGET_ACTIVE_PARTNERS", "ANALYTICS_TARGET_MONTHLY_TRANSACTIONS",
                 "ANALYTICS_TARGET_MONTHLY_VOLUME", "ANALYTICS_TARGET_MONTHLY_PLATFORM_REVENUE"):
        if app.config[name] < 0:
            raise ConfigError(f"{name} must not be negative.")
