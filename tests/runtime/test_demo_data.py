"""`pc-app demo-data` makes a marketplace worth looking at through the real API and sandboxes, once."""
import phonenumbers
import pytest

from pc_app.core.models import Lead, Partner, User
from pc_app.demo_data import DEMO_PASSWORD, demo_plan, seed_demo_data
from pc_app.progress import Progress

REDIRECT_URI = "http://localhost/v1/integrations/hubspot/callback"


@pytest.fixture
def app_config(app_config, hubspot_sandbox, stripe_sandbox):
    # Every installed plugin (not the runtime tests' quiet one), HubSpot and Stripe on the session's sandboxes.
    config = {k: v for k, v in app_config.items() if k not in ("PC_PLUGINS", "PC_EXTRA_PLUGINS")}
    return {**config, **hubspot_sandbox.app_settings, **stripe_sandbox.app_settings, "ENCRYPTION_KEY": "4c" * 32,
            "HUBSPOT_REDIRECT_URI": REDIRECT_URI, "HUBSPOT_RATE_LIMIT": 100000}


@pytest.fixture
def sandboxes(hubspot_sandbox, stripe_sandbox):
    hubspot_sandbox.admin.reset()
    hubspot_sandbox.admin.configure(rateLimitMax=100000, webhookDelivery="record")
    stripe_sandbox.reset()
    return {"hubspot": hubspot_sandbox, "stripe": stripe_sandbox}


def test_the_same_seed_gives_the_same_plan_with_valid_phone_numbers():
    plan = demo_plan(7, 20)
    assert [p.leads for p in plan] == [p.leads for p in demo_plan(7, 20)]
    assert [p.name for p in plan] != [p.name for p in demo_plan(8, 20)]
    for lead in (lead for p in plan for lead in p.leads):
        assert phonenumbers.is_valid_number(phonenumbers.parse(lead["phone"])), lead["phone"]


def test_demo_data_makes_a_marketplace_through_the_api_and_a_second_run_adds_nothing(app_ctx, client, sandboxes):
    lines = []

    class Lines:
        def write(self, text):
            lines.append(text)

        def flush(self):
            pass

    with Progress("demo data", stream=Lines()) as progress:
        report = seed_demo_data(leads=60, sandboxes=sandboxes, progress=progress)

    created = report.created
    assert (created["partners"], created["users"], created["leads"]) == (5, 10, 60)
    assert (created["payouts"], created["listings"], created["purchases"], created["reservations"]) == (3, 36, 4, 8)
    assert (created["hubspotPortals"], created["conflicts"]) == (1, 1) and created["syncedDeals"] >= 12
    assert report.totals["invoices"] == 8          # each purchase: the buyer's invoice and the seller's statement
    assert report.totals["activities"] > 0 and report.totals["openConflicts"] == 1
    assert len({lead.industry for lead in Lead.objects}) >= 8 and all(p.status == "active" for p in Partner.objects)
    assert lines[-1].startswith("demo data: 115/115 (100%), done in")   # no terminal: plain lines

    member = User.objects(is_partner_owner=False).first()
    signed_in = client.post("/v1/auth/sign-in", json={"email": member.email, "password": DEMO_PASSWORD})
    assert signed_in.status_code == 200

    before = {name: len(list(Lead._get_db()[name].find())) for name in Lead._get_db().list_collection_names()
              if not name.startswith(("activity_", "analytics_", "outbox", "events", "core_events"))}
    again = seed_demo_data(leads=60, sandboxes=sandboxes)
    assert not again.added_anything, again.created
    after = {name: len(list(Lead._get_db()[name].find())) for name in before}
    assert after == before


@pytest.mark.parametrize("leads", ["0", "-5", "4"])
def test_too_few_leads_are_refused_in_one_sentence_before_anything_is_written(app, app_config, leads, tmp_path):
    """Each demo partner needs a lead; with fewer the command used to stop on an IndexError, half written."""
    from click.testing import CliRunner

    from pc_app.cli import cli
    from pc_app.db import database

    env = {"PC_ENV": "development", "MONGODB_URL": app_config["MONGODB_URL"], "MONGODB_DB": app_config["MONGODB_DB"],
           "REDIS_URL": app_config["REDIS_URL"], "PC_DEV_STATE_DIR": str(tmp_path)}
    result = CliRunner().invoke(cli, ["demo-data", "--leads", leads], env=env)

    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "demo data:" not in result.stderr  # refused before it starts: no progress line
    assert result.stderr.splitlines()[-1] == (f"Error: Invalid value for '--leads': {leads} is too few: the demo "
                                              f"needs at least 5, one lead for each of its partners.")
    with app.app_context():
        db = database()
        written = {name: db[name].count_documents({}) for name in db.list_collection_names()
                   if not name.startswith("system.")}
    assert not any(written.values()), written


def test_the_fewest_leads_accepted_still_make_the_whole_demo(app_ctx, sandboxes):
    from pc_app.demo_data import MIN_LEADS

    created = seed_demo_data(leads=MIN_LEADS, sandboxes=sandboxes).created
    assert (created["partners"], created["leads"], created["hubspotPortals"], created["conflicts"]) == (5, 5, 1, 1)
    assert created["purchases"] == 2
