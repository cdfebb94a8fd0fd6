"""The payments settings: PRODUCT.md's names as aliases, fractions of hours, and refusals that name the setting."""
from __future__ import annotations

import pytest

from pc_app import create_app
from pc_app.config import ConfigError


def _app(app_config, **settings):
    return create_app({**app_config, **settings})


def test_defaults_are_the_products(app):
    config = app.config
    assert (config["PAYMENTS_RESERVATION_HOURS"], config["PAYMENTS_EXTENSION_HOURS"], config["PAYMENTS_MAX_EXTENSIONS"],
            config["PAYMENTS_MAX_ACTIVE_RESERVATIONS"], config["PAYMENTS_PLATFORM_FEE_BPS"]) == (168, 168, 1, 5, 2000)


def test_products_names_are_read_as_aliases_and_hours_take_fractions(app_config, monkeypatch):
    monkeypatch.setenv("RESERVATION_HOURS", "0.01")
    monkeypatch.setenv("MAX_ACTIVE_RESERVATIONS", "3")
    monkeypatch.setenv("PLATFORM_FEE_BPS", "1500")
    app = _app(app_config)
    assert app.config["PAYMENTS_RESERVATION_HOURS"] == 0.01
    assert app.config["PAYMENTS_MAX_ACTIVE_RESERVATIONS"] == 3 and app.config["PAYMENTS_PLATFORM_FEE_BPS"] == 1500


@pytest.mark.parametrize("name,value", [("PAYMENTS_PLATFORM_FEE_BPS", 10001), ("PAYMENTS_RESERVATION_HOURS", 0),
                                        ("PAYMENTS_MAX_ACTIVE_RESERVATIONS", 0), ("STRIPE_API_BASE", "api.stripe.com")])
def test_a_setting_that_makes_no_sense_stops_start_up_naming_it(app_config, name, value):
    with pytest.raises(ConfigError, match=name):
        _app(app_config, **{name: value})


def test_production_needs_the_stripe_keys(app_config):
    with pytest.raises(ConfigError, match="STRIPE_SECRET_KEY|STRIPE_WEBHOOK_SECRET"):
        _app({key: value for key, value in app_config.items() if not key.startswith("STRIPE_")},
             PC_ENV="production", JWT_SECRET="j" + "x1" * 20, CRON_SECRET="c" + "y2" * 20,
             ENCRYPTION_KEY="ab" * 32, FRONTEND_URL="https://app.example.com",
             CORS_ORIGINS="https://app.example.com", MAIL_BACKEND="mailgun", MAILGUN_API_KEY="key-" + "3f9a" * 8,
             MAILGUN_DOMAIN="mg.example.com", STRIPE_SECRET_KEY="", STRIPE_WEBHOOK_SECRET="")


def test_stripe_secrets_never_reach_the_config_listing(app, client, actors):
    owner = actors.owner()
    body = client.get("/v1/plugins", headers=owner.headers).get_data(as_text=True)
    assert app.config["STRIPE_SECRET_KEY"] not in body and app.config["STRIPE_WEBHOOK_SECRET"] not in body
