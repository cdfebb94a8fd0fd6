"""GET /v1/analytics/partner/:id: a scripted week checked against numbers computed by hand, rights, ranges, CSV."""
import csv
import io

import pytest

from .conftest import at, get_json

WEEK = {"from": "2026-11-02", "to": "2026-11-08"}


def url(partner_id):
    return f"/v1/analytics/partner/{partner_id}"


def test_the_sellers_week_as_computed_by_hand(client, week):
    report = get_json(client, url(week.seller.partner_id), week.seller, **WEEK)
    assert report["from"] == "2026-11-02" and report["to"] == "2026-11-08" and report["currency"] == "usd"
    assert report["seller"] == {
        "listed": 4, "delisted": 1,                      # L1, L2, L3 Monday, L4 Tuesday; L2 delisted
        "views": 3, "uniqueViewers": 2,                  # B twice, C once, all on L1
        "reservationsReceived": 4,                       # r1 (B), r2 and r3 (C), r4 (B)
        "sold": 3, "refunded": 1,                        # L1, L3, L4; L1 refunded on Sunday
        "grossRevenue": 8_000 + 4_000 + 6_400,           # 80 % of 10,000, 5,000 and 8,000
        "refundedRevenue": 8_000, "revenue": 10_400,
        "salesAmount": 23_000 - 10_000,
        "sellThrough": 0.75,                             # 3 sold / 4 listed
        "averagePrice": 7_667,                           # 23,000 / 3, half up
        "medianHoursToSale": 96,                         # 54, 96, 102
    }
    # The seller bought nothing: its buyer side is zeros and undefined ratios.
    assert report["buyer"]["purchased"] == 0 and report["buyer"]["reserveToPurchase"] is None


def test_the_buyers_weeks_as_computed_by_hand(client, week):
    b = get_json(client, url(week.buyer.partner_id), week.buyer, **WEEK)["buyer"]
    assert b == {"views": 2, "unmaskLimitReached": 0, "reserved": 2, "extended": 0, "expired": 0, "cancelled": 0,
                 "purchased": 2, "failedPurchases": 1, "refunded": 1, "spend": 8_000, "grossSpend": 18_000,
                 "refundedSpend": 10_000, "reserveToPurchase": 1.0}
    c_report = get_json(client, url(week.other_buyer.partner_id), week.other_buyer, **WEEK)
    assert c_report["buyer"] == {"views": 1, "unmaskLimitReached": 0, "reserved": 2, "extended": 1, "expired": 0,
                                 "cancelled": 1, "purchased": 1, "failedPurchases": 0, "refunded": 0,
                                 "spend": 5_000, "grossSpend": 5_000, "refundedSpend": 0, "reserveToPurchase": 0.5}
    assert c_report["sync"] == {"tasks": 1, "failedTasks": 0, "leadsSynced": 6, "conflicts": 0, "errors": 0}
    assert c_report["seller"]["sellThrough"] is None and c_report["seller"]["medianHoursToSale"] is None


def _zero(point):
    return {key: value for key, value in point.items() if key not in ("bucket", "start", "end") and value}


def test_the_daily_series_has_every_day_and_the_refund_on_its_own_day(client, week):
    series = get_json(client, url(week.seller.partner_id), week.seller, **WEEK)["series"]
    assert [p["bucket"] for p in series] == [f"2026-11-0{d}" for d in range(2, 9)]
    assert [_zero(p) for p in series] == [
        {"listed": 3, "views": 3},
        {"listed": 1},
        {"sold": 1, "revenue": 8_000, "delisted": 1},
        {},
        {"sold": 1, "revenue": 4_000},
        {"sold": 1, "revenue": 6_400},
        {"salesRefunded": 1, "revenue": -8_000},
    ]
    assert series[3] == {"bucket": "2026-11-05", "start": "2026-11-05", "end": "2026-11-05", "listed": 0,
                         "delisted": 0, "views": 0, "sold": 0, "salesRefunded": 0, "revenue": 0, "reserved": 0,
                         "purchased": 0, "purchasesRefunded": 0, "spend": 0, "leadsSynced": 0}


def test_weekly_and_monthly_buckets_are_clipped_to_the_range(client, week):
    weekly = get_json(client, url(week.seller.partner_id), week.seller, interval="week", **WEEK)["series"]
    assert [(p["bucket"], p["start"], p["end"], p["sold"], p["revenue"]) for p in weekly] == [
        ("2026-W45", "2026-11-02", "2026-11-08", 3, 10_400)]
    report = get_json(client, url(week.seller.partner_id), week.seller, interval="month",
                      **{"from": "2026-10-20", "to": "2026-11-10"})
    assert [(p["bucket"], p["start"], p["end"], p["listed"], p["sold"], p["revenue"]) for p in report["series"]] == [
        ("2026-10", "2026-10-20", "2026-10-31", 0, 0, 0),
        ("2026-11", "2026-11-01", "2026-11-10", 5, 4, 10_400 + 5_600)]     # L0 listed the 1st, sold the 9th
    assert report["seller"]["medianHoursToSale"] == 99                     # 54, 96, 102, 186: (96 + 102) / 2
    weeks = get_json(client, url(week.seller.partner_id), week.seller, interval="week",
                     **{"from": "2026-10-28", "to": "2026-11-10"})["series"]
    assert [(p["bucket"], p["start"], p["end"]) for p in weeks] == [
        ("2026-W44", "2026-10-28", "2026-11-01"), ("2026-W45", "2026-11-02", "2026-11-08"),
        ("2026-W46", "2026-11-09", "2026-11-10")]


def test_a_range_without_activity_answers_zeros_for_every_bucket(client, actors):
    owner = actors.partner_owner()
    report = get_json(client, url(owner.partner_id), owner, **{"from": "2024-02-27", "to": "2024-03-02"})
    assert [p["bucket"] for p in report["series"]] == ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01",
                                                       "2024-03-02"]
    assert all(not _zero(p) for p in report["series"])
    assert report["seller"]["averagePrice"] is None and report["seller"]["revenue"] == 0


def test_without_a_range_it_covers_the_last_30_days_up_to_today(client, actors):
    import datetime as dt

    owner = actors.partner_owner()
    report = get_json(client, url(owner.partner_id), owner)
    today = dt.datetime.now(dt.timezone.utc).date()
    assert report["to"] == today.isoformat() and report["from"] == (today - dt.timedelta(days=29)).isoformat()
    assert len(report["series"]) == 30 and report["interval"] == "day"


# --- who may see it -----------------------------------------------------------------------------------

def test_members_and_platform_staff_see_the_partners_numbers(client, week, actors):
    member = actors.member(week.seller.partner)
    for actor in (member, actors.admin(), actors.owner()):
        assert get_json(client, url(week.seller.partner_id), actor, **WEEK)["seller"]["sold"] == 3


def test_another_partners_numbers_are_404_like_a_partner_that_does_not_exist(client, week, actors):
    for actor in (week.buyer, actors.member(week.buyer.partner)):
        response = client.get(url(week.seller.partner_id), query_string=WEEK, headers=actor.headers)
        assert response.status_code == 404 and set(response.get_json()) == {"code", "status", "message", "errors"}
    assert client.get(url("0" * 24), headers=actors.admin().headers).status_code == 404
    assert client.get(url("not-an-id"), headers=actors.admin().headers).status_code == 404
    assert client.get(url(week.seller.partner_id)).status_code == 401


# --- ranges -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("params", "field"), [
    ({"from": "2026-11-08", "to": "2026-11-02"}, "to"),                  # to before from
    ({"from": "2023-11-01", "to": "2026-11-02"}, "to"),                  # a day over 3 years
    ({"interval": "year"}, "interval"),
    ({"from": "2026-13-01"}, "from"),
    ({"from": "1999-12-31"}, "from"),
    ({"to": "2100-01-01"}, "to"),
    ({"format": "xml"}, "format"),
    ({"since": "2026-11-01"}, "since"),
])
def test_a_bad_range_interval_or_format_is_a_422_naming_it(client, actors, params, field):
    owner = actors.partner_owner()
    response = client.get(url(owner.partner_id), query_string=params, headers=owner.headers)
    assert response.status_code == 422, response.get_json()
    assert list(response.get_json()["errors"]) == [field]


def test_exactly_three_years_is_allowed(client, actors):
    owner = actors.partner_owner()
    report = get_json(client, url(owner.partner_id), owner, interval="month", **{"from": "2023-11-02",
                                                                                  "to": "2026-11-02"})
    assert len(report["series"]) == 37 and report["series"][0]["start"] == "2023-11-02"


# --- CSV ----------------------------------------------------------------------------------------------

def _rows(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_series_as_csv_parses_back_to_the_json_series(client, week):
    series = get_json(client, url(week.seller.partner_id), week.seller, **WEEK)["series"]
    by_accept = client.get(url(week.seller.partner_id), query_string=WEEK,
                           headers={**week.seller.headers, "Accept": "text/csv"})
    by_format = client.get(url(week.seller.partner_id), query_string={**WEEK, "format": "csv"},
                           headers=week.seller.headers)
    assert by_accept.get_data() == by_format.get_data()
    assert "attachment" in by_accept.headers["Content-Disposition"]
    rows = _rows(by_accept)
    assert list(rows[0]) == ["bucket", "start", "end", "listed", "delisted", "views", "sold", "salesRefunded",
                             "revenue", "reserved", "purchased", "purchasesRefunded", "spend", "leadsSynced"]
    assert [{k: (v if k in ("bucket", "start", "end") else int(v)) for k, v in row.items()} for row in rows] == series
    assert rows[-1]["revenue"] == "-8000"          # a negative number stays a number, not a neutralised text


def test_json_is_the_default_and_format_json_wins_over_accept(client, week):
    plain = client.get(url(week.seller.partner_id), query_string=WEEK,
                       headers={**week.seller.headers, "Accept": "*/*"})
    assert plain.mimetype == "application/json"
    forced = client.get(url(week.seller.partner_id), query_string={**WEEK, "format": "json"},
                        headers={**week.seller.headers, "Accept": "text/csv"})
    assert forced.mimetype == "application/json" and forced.get_json()["seller"]["sold"] == 3


def test_the_report_reads_one_rollup_query_whatever_the_history(client, week, db_commands):
    with db_commands:
        get_json(client, url(week.seller.partner_id), week.seller, **WEEK)
    # The auth layer's user lookup, the partner check, and one read of the rollups.
    assert db_commands.count <= 3


def test_scripted_times_are_utc_days(week, rollup):
    # 18:00 on the 1st is the 1st, whatever the server's zone: the listing before the week stays out of it.
    assert rollup(f"p:{week.seller.partner_id}:2026-11-01") == {"listed": 1}
    assert at("2026-11-01", "18:00").tzinfo is not None
