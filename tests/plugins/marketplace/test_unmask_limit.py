"""Unmasking on view is limited per buyer partner and UTC day (MARKETPLACE_UNMASK_DAILY_LIMIT)."""
import datetime as dt

import pytest

from pc_app.testing import database_unchanged
from plugins.marketplace import services, unmask_quota
from plugins.marketplace.models import Listing

LIMIT = 2


@pytest.fixture
def app_config(app_config):
    return {**app_config, "MARKETPLACE_UNMASK_DAILY_LIMIT": LIMIT}


def _seconds_to_midnight() -> float:
    now = dt.datetime.now(dt.timezone.utc)
    return (unmask_quota.next_midnight(now) - now).total_seconds()


def test_the_default_limit_is_100_listings_a_day(app_config):
    from pc_app import create_app

    config = {k: v for k, v in app_config.items() if k != "MARKETPLACE_UNMASK_DAILY_LIMIT"}
    assert create_app(config).config["MARKETPLACE_UNMASK_DAILY_LIMIT"] == 100


def test_one_listing_past_the_limit_is_429_until_midnight_utc_and_changes_nothing(market, seller, buyer, app,
                                                                                    events):
    listings = [market.listed(seller) for _ in range(LIMIT + 1)]
    assert [market.open(buyer, listing["leadId"]).status_code for listing in listings[:LIMIT]] == [200] * LIMIT
    before = _seconds_to_midnight()  # the server's count of seconds lies between this and the one after
    with database_unchanged(app):
        refused = market.open(buyer, listings[-1]["leadId"])
    after = _seconds_to_midnight()
    assert refused.status_code == 429
    body = refused.get_json()
    assert set(body) == {"code", "status", "message", "errors"} and body["code"] == 429
    assert body["message"] == (f"Your partner has opened the contact details of {LIMIT} listings today, the daily "
                               f"limit; more can be opened after midnight UTC.")
    assert list(body["errors"]) == ["dailyUnmaskLimit"]
    assert "jane" not in refused.get_data(as_text=True).lower()
    # Bounded by the times before and after the request: one taken only after it (as this test did)
    # could fall below the server's rounded-up count when the request and the database check were slow.
    assert after <= int(refused.headers["Retry-After"]) <= before + 1
    with app.app_context():
        assert Listing.objects(id=listings[-1]["id"]).get().view_count == 0  # nothing counted
    assert [e.payload["listingId"] for e in events.named("marketplace.lead_viewed")] == \
        [listing["id"] for listing in listings[:LIMIT]]


def test_reopening_a_listing_already_unmasked_today_is_free(market, seller, buyer):
    first, second, third = (market.listed(seller) for _ in range(3))
    for listing in (first, second, first, second, first):
        assert market.open(buyer, listing["leadId"]).status_code == 200
    assert market.open(buyer, third["leadId"]).status_code == 429
    assert market.open(buyer, first["leadId"]).status_code == 200  # still readable after the limit


def test_the_limit_is_per_partner_and_members_share_it(market, seller, buyer, actors):
    listings = [market.listed(seller) for _ in range(LIMIT + 1)]
    member = actors.member(buyer.partner)
    assert market.open(buyer, listings[0]["leadId"]).status_code == 200
    assert market.open(member, listings[1]["leadId"]).status_code == 200
    assert market.open(member, listings[2]["leadId"]).status_code == 429
    other = actors.partner_owner()
    assert all(market.open(other, listing["leadId"]).status_code == 200 for listing in listings[:LIMIT])


def test_own_listings_reserved_listings_and_masked_views_do_not_count(market, seller, buyer, app, relationships,
                                                                      policy_setter):
    own = [market.listed(buyer) for _ in range(LIMIT + 1)]
    assert all(market.open(buyer, listing["leadId"]).status_code == 200 for listing in own)
    held = market.listed(seller)
    with app.app_context():
        services.mark_reserved(held["id"], buyer.partner_id)
    relationships[(held["id"], buyer.partner_id)] = "reserved"
    assert market.open(buyer, held["leadId"]).get_json()["unmasked"] is True
    policy_setter("reservation")
    masked = [market.listed(seller) for _ in range(LIMIT + 1)]
    assert all(market.open(buyer, listing["leadId"]).get_json()["unmasked"] is False for listing in masked)
    with app.app_context():
        assert unmask_quota.unmasked_today(buyer.partner_id) == 0


def test_reaching_the_limit_is_an_event_once_a_day_for_analytics(market, seller, buyer, events):
    listings = [market.listed(seller) for _ in range(LIMIT + 3)]
    statuses = [market.open(buyer, listing["leadId"]).status_code for listing in listings]
    assert statuses == [200] * LIMIT + [429] * 3
    [reached] = events.named("marketplace.unmask_limit_reached")
    assert reached.partner_ids == (buyer.partner_id,)
    assert reached.payload == {"partnerId": buyer.partner_id, "limit": LIMIT,
                               "day": dt.datetime.now(dt.timezone.utc).date().isoformat()}


def test_the_count_holds_across_pods_and_expires_after_midnight(app_config, app, market, seller, buyer):
    """Two apps on one Redis, like two API pods, share one count."""
    from pc_app import create_app
    from pc_app.redis_client import get_redis

    other_pod = create_app(dict(app_config)).test_client()
    listings = [market.listed(seller) for _ in range(LIMIT + 1)]
    assert market.open(buyer, listings[0]["leadId"]).status_code == 200
    assert other_pod.get(f"/v1/marketplace/leads/{listings[1]['leadId']}", headers=buyer.headers).status_code == 200
    assert market.open(buyer, listings[2]["leadId"]).status_code == 429
    with app.app_context():
        [key] = get_redis().keys("pc:marketplace:unmasked:*")
        ttl = get_redis().ttl(key)
    assert _seconds_to_midnight() < ttl <= _seconds_to_midnight() + 3600 + 1


def test_a_day_later_the_partner_may_unmask_again(app, buyer):
    today = dt.datetime(2030, 5, 1, 23, 59, tzinfo=dt.timezone.utc)
    with app.app_context():
        for n in range(LIMIT):
            unmask_quota.take(buyer.partner_id, f"listing{n}", now=today)
        with pytest.raises(unmask_quota.UnmaskLimitReached) as refused:
            unmask_quota.take(buyer.partner_id, "one-more", now=today)
        assert refused.value.retry_after == 60
        assert unmask_quota.take(buyer.partner_id, "one-more", now=today + dt.timedelta(minutes=2)) == 1


def test_a_limit_below_one_stops_start_up(app_config):
    from pc_app import create_app
    from pc_app.config import ConfigError

    with pytest.raises(ConfigError, match="^MARKETPLACE_UNMASK_DAILY_LIMIT"):
        create_app({**app_config, "MARKETPLACE_UNMASK_DAILY_LIMIT": 0})


@pytest.fixture
def policy_setter(app):
    def set_policy(value):
        app.config["MARKETPLACE_UNMASK"] = value
    return set_policy
