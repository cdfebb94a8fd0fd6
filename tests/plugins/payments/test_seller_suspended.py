"""A suspended seller cannot trade: its listings leave the marketplace, and nothing of it is reserved or paid."""
from __future__ import annotations

import pytest

from pc_app.core.models import Partner
from pc_app.testing import EVENT_RECORDER


@pytest.fixture
def app_config(app_config):
    # The registration plugin suspends partners; marketplace hears its event by name.
    return {**app_config, "PC_PLUGINS": ["registration", "marketplace", "payments", "event_recorder"],
            "PC_EXTRA_PLUGINS": dict(EVENT_RECORDER)}


def _suspend(client, actors, partner_id):
    response = client.post(f"/v1/partners/{partner_id}/suspend", json={"reason": "Security audit"},
                           headers=actors.admin().headers)
    assert response.status_code == 200, response.get_json()


def _browse(client, buyer) -> list[str]:
    response = client.get("/v1/marketplace/leads", headers=buyer.headers)
    assert response.status_code == 200, response.get_json()
    return [card["leadId"] for card in response.get_json()["items"]]


def test_suspending_a_seller_delists_its_listings_and_refuses_the_held_ones_purchase(
        shop, seller, buyer, client, actors, jobs, events, stripe):
    first, second, held = (shop.listed(seller) for _ in range(3))
    reservation = shop.reserved(buyer, held)
    other_buyer = shop.buyer(name="Other Buyer Co")
    assert set(_browse(client, other_buyer)) == {first["leadId"], second["leadId"]}

    _suspend(client, actors, seller.partner_id)
    jobs.run()

    assert _browse(client, other_buyer) == []
    mine = {row["leadId"]: row for row in client.get("/v1/marketplace/my-listings", headers=seller.headers)
            .get_json()["items"]}
    for listing in (first, second):
        assert (mine[listing["leadId"]]["status"], mine[listing["leadId"]]["delistedReason"]) == \
            ("delisted", "seller_suspended")
    assert mine[held["leadId"]]["status"] == "reserved"  # the buyer's hold is the buyer's until it ends
    delisted = events.named("marketplace.lead_delisted")
    assert sorted(e.payload["leadId"] for e in delisted) == sorted([first["leadId"], second["leadId"]])
    assert {e.payload["reason"] for e in delisted} == {"seller_suspended"}

    response = shop.buy(buyer, reservation["id"])
    assert response.status_code == 409 and "sellerSuspended" in response.get_json()["errors"], response.get_json()
    assert shop.intents() == []
    # The hold is cancelled, so the buyer is not stuck, and the lead does not come back to the marketplace.
    assert client.get(f"/v1/marketplace/reservations/{reservation['id']}",
                      headers=buyer.headers).get_json()["status"] == "cancelled"
    mine = {row["leadId"]: row for row in client.get("/v1/marketplace/my-listings", headers=seller.headers)
            .get_json()["items"]}
    assert (mine[held["leadId"]]["status"], mine[held["leadId"]]["delistedReason"]) == \
        ("delisted", "seller_suspended")
    assert _browse(client, other_buyer) == []


def test_a_listing_of_a_suspended_seller_not_yet_delisted_cannot_be_reserved(shop, seller, buyer, client, app):
    listing = shop.listed(seller)
    # Suspended behind the event's back: the window before the delisting runs (or a listing racing it).
    with app.app_context():
        Partner.objects(id=seller.partner_id).update_one(set__status="suspended")

    response = shop.reserve(buyer, listing["leadId"])
    assert response.status_code == 409 and "sellerSuspended" in response.get_json()["errors"], response.get_json()
    mine = client.get("/v1/marketplace/my-listings", headers=seller.headers).get_json()["items"][0]
    assert (mine["status"], mine["delistedReason"]) == ("delisted", "seller_suspended")
    assert client.get("/v1/marketplace/reservations", headers=buyer.headers).get_json()["items"] == []


def test_reinstating_a_seller_does_not_relist_its_leads(shop, seller, buyer, client, actors, jobs):
    listing = shop.listed(seller)
    _suspend(client, actors, seller.partner_id)
    jobs.run()
    response = client.post(f"/v1/partners/{seller.partner_id}/reinstate", headers=actors.admin().headers)
    assert response.status_code == 200, response.get_json()
    jobs.run()

    assert _browse(client, buyer) == []
    # The seller lists again, and the lead trades as before.
    relisted = client.post(f"/v1/marketplace/leads/{listing['leadId']}/list", json={"price": 10000},
                           headers=seller.headers)
    assert relisted.status_code == 201, relisted.get_json()
    assert _browse(client, buyer) == [listing["leadId"]]
    assert shop.reserve(buyer, listing["leadId"]).status_code == 201
