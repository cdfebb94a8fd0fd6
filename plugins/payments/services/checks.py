"""Start-up checks of the payments settings: a bad value stops the app with a sentence naming it."""
from __future__ import annotations

from pc_app.toolkit import ConfigError


def check_settings(config) -> None:
    """:raises ConfigError: a timing that is not positive, a fee outside 0–10,000 bps, a Stripe URL that is not one."""
    for name in ("PAYMENTS_RESERVATION_HOURS", "PAYMENTS_EXTENSION_HOURS", "PAYMENTS_MAX_HOLD_HOURS",
                 "PAYMENTS_PAYMENT_HOLD_MINUTES", "STRIPE_TIMEOUT_SECONDS"):
        if not config[name] > 0:
            raise ConfigError(f"{name} must be a positive number.")
    for name in ("PAYMENTS_MAX_ACTIVE_RESERVATIONS",):
        if config[name] < 1:
            raise ConfigError(f"{name} must be at least 1.")
    for name in ("PAYMENTS_MAX_EXTENSIONS", "STRIPE_MAX_NETWORK_RETRIES", "PAYMENTS_PAYOUT_STATUS_MAX_AGE_SECONDS"):
        if config[name] < 0:
            raise ConfigError(f"{name} must not be negative.")
    if config["PAYMENTS_REMINDER_HOURS"] < 0:
        raise ConfigError("PAYMENTS_REMINDER_HOURS must not be negative.")
    if config["PAYMENTS_RESERVATION_HOURS"] > config["PAYMENTS_MAX_HOLD_HOURS"]:
        raise ConfigError("PAYMENTS_RESERVATION_HOURS must not exceed PAYMENTS_MAX_HOLD_HOURS.")
    if not 0 <= config["PAYMENTS_PLATFORM_FEE_BPS"] <= 10000:
        raise ConfigError("PAYMENTS_PLATFORM_FEE_BPS must be between 0 and 10000 basis points.")
    if not str(config["STRIPE_API_BASE"]).startswith(("https://", "http://")):
        raise ConfigError("STRIPE_API_BASE must be an http(s) URL such as https://api.stripe.com.")
