"""A deal won in HubSpot takes the lead off the marketplace — when the marketplace plugin is enabled.

The sync does not require the marketplace: these tests enable it beside the sync; every other sync test
runs without it, where a won deal simply moves the lead to ``won``.
"""
import pytest

from .conftest import PLUGINS


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PC_PLUGINS": [*PLUGINS, "marketplace"]}


def _list(world, actor, lead_id) -> dict:
    answer = world.client.post(f"/v1/marketplace/leads/{lead_id}/list", json={"price": 5000}, headers=actor.headers)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def _win_in_hubspot(world, actor, portal, lead_id):
    deal = world.deal_of(portal, lead_id)
    world.admin.user_changes_deal(portal, deal["id"], {"dealstage": world.stage(actor, "won")}, deliver=False)


def _listing(app, lead_id):
    from plugins.marketplace.models import Listing

    with app.app_context():
        return Listing.objects(lead=lead_id).order_by("-created_at").first()


def test_a_deal_won_in_hubspot_delists_the_lead(world, synced, app, events):
    actor, portal, lead_ids = synced
    _list(world, actor, lead_ids[0])
    _win_in_hubspot(world, actor, portal, lead_ids[0])

    task = world.sync(actor)

    assert task["counts"]["delisted"] == 1 and task["counts"]["pulled"] == 1
    assert world.lead(lead_ids[0])["deal_status"] == "won"
    assert _listing(app, lead_ids[0]).status == "delisted"
    [delisted] = events.named("marketplace.lead_delisted")
    assert delisted.payload["reason"] == "deal_won" and delisted.actor == "hubspot"


def test_a_reserved_listing_is_left_alone_and_the_disagreement_goes_to_a_person(world, synced, app, actors):
    actor, portal, lead_ids = synced
    listing = _list(world, actor, lead_ids[1])
    buyer = actors.partner_owner()
    from plugins.marketplace import services as marketplace

    with app.app_context():
        assert marketplace.mark_reserved(listing["id"], buyer.partner_id) is not None
    _win_in_hubspot(world, actor, portal, lead_ids[1])

    task = world.sync(actor)

    assert task["counts"]["conflicts"] == 1 and task["counts"]["delisted"] == 0
    [conflict] = world.conflicts(actor, status="open")
    assert conflict["reason"] == "listing_reserved"
    assert [(f["field"], f["pcValue"], f["hubspotValue"]) for f in conflict["fields"]] == [
        ("dealStatus", "new", "won")]
    assert world.lead(lead_ids[1])["deal_status"] == "new" and _listing(app, lead_ids[1]).status == "reserved"
    assert world.resolve(actor, conflict["id"], "use_hubspot").status_code == 200
    assert world.lead(lead_ids[1])["deal_status"] == "won"
    assert _listing(app, lead_ids[1]).status == "reserved"  # the buyer's hold is the buyer's
