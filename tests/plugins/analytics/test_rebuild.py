"""Trust: a realistic day through the API folds into rollups equal to the rebuild from the facts, to the cent;
``pc-app analytics rebuild`` finds and fixes what does not."""
import datetime as dt

import pytest

from .conftest import Listing, get_json

UTC = dt.timezone.utc


def _today():
    return dt.datetime.now(UTC).date()


def _now():
    return dt.datetime.now(UTC)


class Day:
    """A day of marketplace activity driven through the API where the API exists (leads, listings,
    views, delistings, registrations, activations) and through contract events for payments and sync."""

    def __init__(self, client, actors, script, events, jobs):
        self.client, self.actors, self.script, self.events, self.jobs = client, actors, script, events, jobs

    def lead(self, seller, n, industry):
        response = self.client.post("/v1/leads", headers=seller.headers, json={
            "firstName": f"Lead{n}", "lastName": "Doe", "email": f"lead{n}@prospect.test", "company": f"Prospect {n}",
            "industry": industry, "jobTitle": "VP Sales", "seniority": "vp", "country": "US"})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    def list(self, seller, n, price, industry) -> Listing:
        lead_id = self.lead(seller, n, industry)
        response = self.client.post(f"/v1/marketplace/leads/{lead_id}/list", json={"price": price},
                                    headers=seller.headers)
        assert response.status_code == 201, response.get_json()
        payload = self.events.named("marketplace.lead_listed")[-1].payload
        # The fields analytics needs travel with the event (added to the marketplace for it).
        assert payload["industry"] == industry and payload["price"] == price
        listed_at = dt.datetime.fromisoformat(payload["listedAt"])
        assert abs((listed_at - _now()).total_seconds()) < 60
        return Listing(payload["listingId"], lead_id, seller.partner_id, price, industry, listed_at)

    def view(self, buyer, listing):
        response = self.client.get(f"/v1/marketplace/leads/{listing.lead}", headers=buyer.headers)
        assert response.status_code == 200, response.get_json()

    def delist(self, seller, listing):
        response = self.client.delete(f"/v1/marketplace/leads/{listing.lead}/list", headers=seller.headers)
        assert response.status_code == 200, response.get_json()
        payload = self.events.named("marketplace.lead_delisted")[-1].payload
        assert payload["industry"] == listing.industry and payload["price"] == listing.price

    def register(self, n):
        from pc_app.testing import run_jobs

        response = self.client.post("/v1/auth/register-partner", json={
            "companyName": f"Newcomer {n}", "name": "Nina New", "email": f"nina{n}@newcomer.test"})
        assert response.status_code == 202, response.get_json()
        run_jobs(self.client.application, ["mail"])

    def activate(self, admin, partner):
        response = self.client.post(f"/v1/partners/{partner.id}/activate", headers=admin.headers)
        assert response.status_code == 200, response.get_json()


@pytest.fixture
def realistic_day(client, actors, script, events, jobs):
    """Today's activity: 3 sellers, 4 buyers, 12 listings, views, holds, sales, a refund, sign-ups."""
    day = Day(client, actors, script, events, jobs)
    admin = actors.admin()
    icp = {"industries": ["saas", "fintech"]}
    sellers = [actors.partner_owner(name=f"Seller {i}") for i in range(3)]
    buyers = [actors.partner_owner(name=f"Buyer {i}", icp=icp) for i in range(4)]
    industries = ("saas", "fintech", "retail", None)
    listings = [day.list(sellers[i % 3], i, 1_000 * (i + 5), industries[i % 4]) for i in range(12)]
    for i, listing in enumerate(listings):
        for buyer in buyers[: 1 + i % 4]:
            day.view(buyer, listing)
        if i % 3 == 0:
            day.view(buyers[0], listing)          # a second look, not a unique viewer
    day.delist(sellers[2], listings[11])
    day.delist(sellers[1], listings[10])
    now = _now()
    sales = []
    for i, listing in enumerate(listings[:8]):
        buyer = buyers[i % 4].partner_id
        hold = script.reserve(now, listing, buyer)
        if i == 5:
            script.cancel(now, listing, buyer, hold)
            continue
        if i == 6:
            script.expire(now, listing, buyer, hold)
            continue
        if i == 2:
            script.extend(now, listing, buyer, hold)
            script.fail(now, listing, buyer, hold)
        sales.append(script.purchase(now, listing, buyer, hold))
    script.refund(now, sales[1])
    script.synced(now, sellers[0].partner_id, created=5, updated=7, pulled=2, conflicts=1)
    for n in range(2):
        day.register(n)
    newcomer = actors.partner(status="onboarding", icp=icp)
    day.activate(admin, newcomer)
    assert jobs.run() > 0
    return {"sellers": sellers, "buyers": buyers, "sales": sales, "admin": admin}


def test_a_realistic_day_through_the_api_folds_into_rollups_equal_to_the_rebuild_to_the_cent(app, client,
                                                                                             realistic_day, rollup):
    from plugins.analytics.services.rebuild import compare_rollups, rebuild

    with app.app_context():
        differences, in_flight, live, rebuilt, facts = compare_rollups(None, None)
        report = rebuild()
    assert differences == [] and in_flight == [] and report.clean, report
    # Every rollup, counter by counter (n included), is exactly the sum of its facts.
    assert set(live) == set(rebuilt)
    for doc_id, doc in live.items():
        assert {**rollup(doc_id), "n": doc["n"]} == rebuilt[doc_id], doc_id
    assert report.unfolded_events == [] and report.changed_facts == []
    assert report.stored_events == facts > 40

    today = _today()
    market = rollup(f"m:{today}")
    sales = realistic_day["sales"]
    gross = sum(sale.amount for sale in sales)
    assert market["transactions"] == 6 and market["gmv"] == gross and market["refundedGmv"] == sales[1].amount
    assert market["listed"] == 12 and market["delisted"] == 2 and market["views"] == 30 + 4
    assert market["uniqueViewers"] == 30 and market["partnersRegistered"] == 2 and market["partnersActivated"] == 1
    report = get_json(client, "/v1/analytics/marketplace", realistic_day["admin"])
    assert report["gmv"] == gross - sales[1].amount and report["series"][-1]["gmv"] == report["gmv"]
    assert report["platformRevenue"] == sum(s.fee for s in sales) - sales[1].fee


def test_rebuild_reports_a_changed_counter_and_fix_repairs_it(app, script, actors, rollup):
    from plugins.analytics.models import Rollup
    from plugins.analytics.services.rebuild import Difference, rebuild

    seller, buyer = actors.partner(), actors.partner()
    now = _now()
    listing = script.list(now, seller.id, 9_000)
    script.purchase(now, listing, buyer.id, script.reserve(now, listing, buyer.id))
    script.fold()
    day = now.date().isoformat()
    with app.app_context():
        Rollup._get_collection().update_one({"_id": f"m:{day}"}, {"$inc": {"gmv": 1, "transactions": 1}})
        Rollup._get_collection().delete_one({"_id": f"p:{buyer.id}:{day}"})
        report = rebuild()
        assert not report.clean
        assert report.differences == [
            Difference(f"m:{day}", "gmv", 9_001, 9_000), Difference(f"m:{day}", "transactions", 2, 1),
            Difference(f"p:{buyer.id}:{day}", "n", 0, 2), Difference(f"p:{buyer.id}:{day}", "purchased", 0, 1),
            Difference(f"p:{buyer.id}:{day}", "reserved", 0, 1), Difference(f"p:{buyer.id}:{day}", "spent", 0, 9_000)]
        fixed = rebuild(fix=True)
        assert sorted(fixed.fixed_rollups) == sorted([f"m:{day}", f"p:{buyer.id}:{day}"]) and fixed.clean
        assert rebuild().differences == []
    assert rollup(f"m:{day}")["gmv"] == 9_000
    assert rollup(f"p:{buyer.id}:{day}") == {"reserved": 1, "purchased": 1, "spent": 9_000}


def test_rebuild_finds_an_event_never_folded_and_fix_folds_it(app, script, actors, rollup):
    from pc_app.event_delivery import StoredEvent, delivery_key
    from plugins.analytics.services.rebuild import rebuild

    seller = actors.partner()
    now = _now()
    script.list(now, seller.id, 9_000)
    event = script.emitted[-1]
    key = delivery_key("analytics.fold_events")
    with app.app_context():
        # Its delivery failed every attempt (e.g. the database was down for hours): dead, never folded.
        StoredEvent._get_collection().update_one({"_id": event.id}, {"$set": {f"deliveries.{key}.status": "dead"},
                                                                      "$inc": {"open_deliveries": -1}})
        report = rebuild()
        assert report.unfolded_events == [(event.id, "marketplace.lead_listed", "dead")]
        assert report.lost_events == [event.id] and not report.clean
        fixed = rebuild(fix=True)
        assert fixed.folded_now == [event.id] and fixed.clean
        assert rebuild().unfolded_events == []
    assert rollup(f"p:{seller.id}:{now.date()}") == {"listed": 1}


def test_an_event_still_waiting_for_its_delivery_is_not_a_loss(app, script, actors):
    from plugins.analytics.services.rebuild import rebuild

    script.list(_now(), actors.partner().id, 9_000)   # stored and queued, no worker has run yet
    with app.app_context():
        report = rebuild()
    assert [status for _id, _name, status in report.unfolded_events] == ["pending"]
    assert report.lost_events == [] and report.clean


def test_a_fact_that_no_longer_matches_its_event_is_reported(app, script, actors):
    from plugins.analytics.models import Fact
    from plugins.analytics.services.rebuild import rebuild

    seller = actors.partner()
    script.list(_now(), seller.id, 9_000)
    script.fold()
    event = script.emitted[-1]
    with app.app_context():
        Fact._get_collection().update_one({"_id": event.id}, {"$set": {"contributions": []}})
        report = rebuild()
    assert report.changed_facts == [event.id] and not report.clean
    # The rollups still hold the listing the fact no longer records: that difference is reported too.
    assert {d.counter for d in report.differences} >= {"listed", "n"}


def test_a_rollup_being_folded_is_left_out_not_reported(app, script, actors):
    from plugins.analytics.models import Fact
    from plugins.analytics.services.rebuild import rebuild

    seller = actors.partner()
    script.list(_now(), seller.id, 9_000)
    script.fold()
    with app.app_context():
        Fact._get_collection().update_many({}, {"$set": {"status": "pending"}})
        report = rebuild()
    assert report.differences == [] and len(report.in_flight) == 2


def test_rebuild_limited_to_a_range(app, script, actors):
    from plugins.analytics.services.rebuild import rebuild
    from .conftest import at

    seller = actors.partner()
    script.list(at("2026-11-02"), seller.id, 9_000)
    script.list(at("2026-11-05"), seller.id, 9_000)
    script.fold()
    with app.app_context():
        report = rebuild(dt.date(2026, 11, 4), dt.date(2026, 11, 30))
    assert report.facts == 1 and report.rollups == 2 and report.stored_events == 1 and report.clean


# --- the command ----------------------------------------------------------------------------------

def _run(app_config, *args):
    from click.testing import CliRunner

    from pc_app.cli import PcGroup, cli

    env = {"PC_ENV": "development", "PC_PLUGINS": "analytics", "MONGODB_URL": app_config["MONGODB_URL"],
           "MONGODB_DB": app_config["MONGODB_DB"], "REDIS_URL": app_config["REDIS_URL"]}
    # A fresh copy of `pc-app`: the shared one keeps the plugin commands it loaded first.
    group = PcGroup(name="pc-app", commands=dict(cli.commands))
    return CliRunner().invoke(group, ["analytics", "rebuild", *args], env=env)


def test_the_command_reports_shows_progress_and_fixes(app, app_config, script, actors):
    from plugins.analytics.models import Rollup

    seller = actors.partner()
    now = _now()
    script.list(now, seller.id, 9_000)
    script.list(now, seller.id, 8_000)
    script.fold()
    day = now.date().isoformat()

    clean = _run(app_config, "--from", day, "--to", day)
    assert clean.exit_code == 0, clean.output
    assert "facts read: 2; rollups compared: 2" in clean.stdout and clean.stdout.rstrip().endswith("clean")
    assert "checking stored events: 2/2 (100%), done" in clean.stderr                # the progress displays
    assert "recomputing from facts: 2/2 (100%), done" in clean.stderr

    with app.app_context():
        Rollup._get_collection().update_one({"_id": f"p:{seller.id}:{day}"}, {"$inc": {"listed": 5}})
    broken = _run(app_config)
    assert broken.exit_code == 1
    assert f"p:{seller.id}:{day}  listed: live 7, rebuilt 2 (-5)" in broken.stdout
    fixed = _run(app_config, "--fix")
    assert fixed.exit_code == 0 and "fixed rollups: 1" in fixed.stdout
    assert _run(app_config).exit_code == 0


def test_the_command_refuses_an_inverted_range(app_config):
    result = _run(app_config, "--from", "2026-11-05", "--to", "2026-11-01")
    assert result.exit_code == 2 and "--to" in result.output
