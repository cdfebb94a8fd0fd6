"""GET /v1/analytics/marketplace: the scripted week for the platform, leaders, targets, rights, CSV."""
import csv
import io

from .conftest import at, get_json

URL = "/v1/analytics/marketplace"
WEEK = {"from": "2026-11-02", "to": "2026-11-08"}


def test_the_marketplaces_week_as_computed_by_hand(client, week, actors):
    report = get_json(client, URL, actors.owner(), **WEEK)
    money = {key: report[key] for key in ("gmv", "grossGmv", "refundedGmv", "platformRevenue", "grossPlatformRevenue",
                                          "refundedPlatformRevenue", "sellerPayouts", "averagePrice")}
    assert money == {"gmv": 13_000, "grossGmv": 23_000, "refundedGmv": 10_000,
                     "platformRevenue": 2_600, "grossPlatformRevenue": 4_600, "refundedPlatformRevenue": 2_000,
                     "sellerPayouts": 10_400, "averagePrice": 7_667}
    activity = {key: report[key] for key in ("transactions", "refunds", "failedPurchases", "listed", "delisted",
                                             "views", "uniqueViewers", "reserved", "extended", "expired",
                                             "cancelled", "sellThrough", "medianHoursToSale")}
    assert activity == {"transactions": 3, "refunds": 1, "failedPurchases": 1, "listed": 4, "delisted": 1,
                        "views": 3, "uniqueViewers": 2, "reserved": 4, "extended": 1, "expired": 0, "cancelled": 1,
                        "sellThrough": 0.75, "medianHoursToSale": 96}
    assert report["activePartners"] == 3 and report["tradingPartners"] == 3
    assert report["sync"]["leadsSynced"] == 6


def test_top_industries_sellers_and_buyers(client, week, actors):
    report = get_json(client, URL, actors.admin(), **WEEK)
    assert report["topIndustries"] == [
        {"industry": "fintech", "listed": 2, "delisted": 0, "transactions": 2, "refunds": 0, "gmv": 13_000},
        {"industry": "saas", "listed": 2, "delisted": 1, "transactions": 1, "refunds": 1, "gmv": 0}]
    assert report["topSellers"] == [{"partnerId": week.seller.partner_id, "name": "Seller Co", "sales": 3,
                                     "refunds": 1, "gmv": 13_000, "revenue": 10_400}]
    assert report["topBuyers"] == [
        {"partnerId": week.buyer.partner_id, "name": "Buyer B", "purchases": 2, "refunds": 1, "spend": 8_000},
        {"partnerId": week.other_buyer.partner_id, "name": "Buyer C", "purchases": 1, "refunds": 0, "spend": 5_000}]


def test_the_seeds_targets_beside_the_actuals(client, week, actors):
    report = get_json(client, URL, actors.owner(), **WEEK)
    assert report["months"] == round(7 / 30, 4)                       # 7 days of a 30-day November
    targets = {row["metric"]: (row["target"], row["actual"], row["progress"]) for row in report["targets"]}
    assert targets == {
        "activePartners": (50, 3, 0.06),
        "monthlyTransactions": (500, 12.9, 0.0258),                    # 3 / (7/30)
        "monthlyVolume": (10_000_000, 55_714, 0.0056),                 # 13,000 cents / (7/30)
        "monthlyPlatformRevenue": (2_000_000, 11_143, 0.0056),         # 2,600 cents / (7/30)
    }


def test_over_a_whole_calendar_month_the_monthly_actual_is_that_months_total(client, week, actors):
    report = get_json(client, URL, actors.owner(), **{"from": "2026-11-01", "to": "2026-11-30"})
    assert report["months"] == 1.0 and report["transactions"] == 4
    targets = {row["metric"]: row["actual"] for row in report["targets"]}
    assert targets["monthlyTransactions"] == 4 and targets["monthlyVolume"] == report["gmv"] == 13_000 + 7_000


def test_new_and_activated_partners_and_their_series(client, script, actors):
    p1, p2 = actors.partner(), actors.partner()
    script.registered(at("2026-11-02"), p1.id)
    script.registered(at("2026-11-03"), p2.id)
    script.activated(at("2026-11-03"), p1.id)
    script.fold()
    report = get_json(client, URL, actors.owner(), **{"from": "2026-11-02", "to": "2026-11-03"})
    assert report["newPartners"] == 2 and report["activatedPartners"] == 1
    assert [(p["newPartners"], p["activatedPartners"]) for p in report["series"]] == [(1, 0), (1, 1)]


def test_the_house_seller_and_partners_not_active_are_not_active_partners(client, actors):
    actors.partner(is_platform=True)
    actors.partner(status="suspended")
    actors.partner(status="onboarding")
    actors.partner()
    assert get_json(client, URL, actors.owner())["activePartners"] == 1


def test_partner_users_get_403_and_strangers_401(client, week, actors):
    for actor in (week.seller, actors.member(week.seller.partner)):
        response = client.get(URL, headers=actor.headers)
        assert response.status_code == 403 and set(response.get_json()) == {"code", "status", "message", "errors"}
    assert client.get(URL).status_code == 401


def test_a_bad_range_is_a_422_naming_it(client, actors):
    response = client.get(URL, query_string={"from": "2026-11-08", "to": "2026-11-01"},
                          headers=actors.admin().headers)
    assert response.status_code == 422 and list(response.get_json()["errors"]) == ["to"]


def test_the_series_as_csv_parses_back(client, week, actors):
    owner = actors.owner()
    series = get_json(client, URL, owner, interval="week", **WEEK)["series"]
    response = client.get(URL, query_string={**WEEK, "interval": "week", "format": "csv"}, headers=owner.headers)
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [{k: (v if k in ("bucket", "start", "end") else int(v)) for k, v in row.items()} for row in rows] == series
    assert rows == [{"bucket": "2026-W45", "start": "2026-11-02", "end": "2026-11-08", "gmv": "13000",
                     "platformRevenue": "2600", "transactions": "3", "refunds": "1", "listed": "4",
                     "delisted": "1", "views": "3", "reserved": "4", "newPartners": "0", "activatedPartners": "0",
                     "leadsSynced": "6"}]


def test_the_report_costs_four_round_trips_whatever_the_history(client, week, actors, db_commands):
    owner = actors.owner()
    with db_commands:
        get_json(client, URL, owner, **WEEK)
    # The signed-in user, the rollups of the range, the count of active partners, the leaders' names.
    assert db_commands.count == 4
