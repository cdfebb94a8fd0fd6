"""What one event adds where, including payloads that bend the contract, and the plugin's settings check."""
import datetime as dt

import pytest

from plugins.analytics.services.contributions import FOLDED_EVENTS, contributions

SELLER, BUYER = "a" * 24, "b" * 24
NOON = dt.datetime(2026, 11, 2, 12, tzinfo=dt.timezone.utc)


def test_every_folded_event_name_is_a_declared_kind():
    assert all(name.split(".")[0] in {"marketplace", "payments", "sync", "registration"} for name in FOLDED_EVENTS)
    assert "payments.reservation_expiring" not in FOLDED_EVENTS   # a reminder moves no number


def test_the_day_is_the_utc_day_whatever_the_offset_of_the_time():
    late = dt.datetime(2026, 11, 2, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))   # 04:30 UTC the 3rd
    parts = contributions("registration.partner_registered", [SELLER], {"partnerId": SELLER}, late, "usd")
    assert parts == {"m:2026-11-03": {"partnersRegistered": 1}}


def test_an_odd_industry_and_odd_amounts_are_counted_safely():
    payload = {"sellerPartnerId": SELLER, "buyerPartnerId": BUYER, "amount": "100", "platformFee": True,
               "sellerPayout": 80, "currency": "USD", "industry": "Real Estate; DROP", "listedAt": "yesterday"}
    parts = contributions("payments.purchase_succeeded", [BUYER, SELLER], payload, NOON, "usd")
    assert parts["m:2026-11-02"]["ind:unknown:transactions"] == 1
    assert "gmv" not in parts["m:2026-11-02"] and parts["m:2026-11-02"]["sellerPayout"] == 80
    assert not any(name.startswith("tts:") for name in parts["m:2026-11-02"])   # no listing time, no histogram


def test_a_partner_id_that_is_not_an_id_is_left_out_but_the_marketplace_still_counts():
    payload = {"listingId": "x", "leadId": "y", "viewerPartnerId": None, "firstView": True}
    assert contributions("marketplace.lead_viewed", [], payload, NOON, "usd") == {
        "m:2026-11-02": {"views": 1, "uniqueViewers": 1}}


def test_an_event_that_moves_no_number_adds_nothing():
    assert contributions("core.lead_created", [SELLER], {"leadId": SELLER}, NOON, "usd") == {}


def test_a_sale_listed_later_than_it_sold_counts_zero_hours():
    payload = {"sellerPartnerId": SELLER, "buyerPartnerId": BUYER, "amount": 500, "platformFee": 100,
               "sellerPayout": 400, "currency": "usd", "industry": "saas",
               "listedAt": (NOON + dt.timedelta(minutes=5)).isoformat()}
    assert contributions("payments.purchase_succeeded", [], payload, NOON, "usd")[f"p:{SELLER}:2026-11-02"]["tts:0"] == 1


@pytest.mark.parametrize(("name", "value"), [("ANALYTICS_CURRENCY", "USD"), ("ANALYTICS_TOP_N", 0),
                                             ("ANALYTICS_TARGET_MONTHLY_VOLUME", -1)])
def test_the_app_refuses_to_start_with_a_bad_setting(app_config, name, value):
    from pc_app import create_app
    from pc_app.config import ConfigError

    with pytest.raises(ConfigError, match=name):
        create_app({**app_config, name: value})
