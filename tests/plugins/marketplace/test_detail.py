"""Opening a listing: contact data per MARKETPLACE_UNMASK, notes never, and honest view counts."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from pc_app.testing import database_unchanged
from plugins.marketplace import services
from plugins.marketplace.models import Listing


def test_unknown_or_malformed_listing_is_404(market, buyer, app):
    with database_unchanged(app):
        assert market.open(buyer, "0" * 24).status_code == 404
        assert market.open(buyer, "nope").status_code == 404


def test_detail_is_unmasked_by_default_and_never_shows_notes(market, seller, buyer, client):
    listing = market.listed(seller, email="jane@acme.io", phone="+442079460123", last_name="Roe",
                            company_domain="acme.io")
    client.post(f"/v1/leads/{listing['leadId']}/notes", json={"text": "private remark"}, headers=seller.headers)
    detail = market.open(buyer, listing["leadId"]).get_json()
    assert (detail["email"], detail["phone"], detail["lastName"], detail["companyDomain"]) == \
        ("jane@acme.io", "+442079460123", "Roe", "acme.io")
    assert detail["unmasked"] is True and detail["unmaskPolicy"] == "view"
    assert "private remark" not in str(detail) and "notes" not in detail
    assert detail["icpScore"] == 100


def test_viewing_counts_views_and_unique_viewers_but_not_the_sellers_own(market, seller, buyer, actors, events):
    other = actors.partner_owner()
    listing = market.listed(seller)
    for viewer in (buyer, buyer, other, seller, actors.member(buyer.partner)):
        assert market.open(viewer, listing["leadId"]).status_code == 200
    mine = market.my_listings(seller)["items"][0]
    assert (mine["viewCount"], mine["uniqueViewers"]) == (4, 2)
    viewed = events.named("marketplace.lead_viewed")
    assert [e.payload["firstView"] for e in viewed] == [True, False, True, False]
    assert all(e.partner_ids == (seller.partner_id,) for e in viewed)
    assert viewed[0].payload["viewerPartnerId"] == buyer.partner_id


def test_the_seller_sees_its_own_listing_unmasked_without_counting(market, seller):
    listing = market.listed(seller, email="mine@acme.io")
    detail = market.open(seller, listing["leadId"]).get_json()
    assert detail["email"] == "mine@acme.io" and detail["viewCount"] == 0 and detail["icpScore"] is None


def test_concurrent_views_lose_no_count(app, market, seller, actors, db_latency):
    listing = market.listed(seller)
    viewers = [actors.partner_owner() for _ in range(4)]
    per_viewer = 5
    barrier = threading.Barrier(len(viewers))
    # The first view of each viewer writes only once every viewer has read the listing.
    writes = [db_latency.rendezvous(command, "marketplace_listings", parties=len(viewers), when="before")
              for command in ("findAndModify", "update")]

    def view(viewer):
        client = app.test_client()
        barrier.wait()
        return [client.get(f"/v1/marketplace/leads/{listing['leadId']}", headers=viewer.headers).status_code
                for _ in range(per_viewer)]

    with ThreadPoolExecutor(len(viewers)) as pool:
        statuses = [s for batch in pool.map(view, viewers) for s in batch]
    assert statuses == [200] * len(viewers) * per_viewer
    assert any(hold.met for hold in writes)  # the first views did overlap
    with app.app_context():
        stored = Listing.objects(id=listing["id"]).first()
    assert stored.view_count == len(viewers) * per_viewer
    assert sorted(stored.unique_viewers) == sorted(v.partner_id for v in viewers)


@pytest.fixture
def policy(app):
    def set_policy(value):
        app.config["MARKETPLACE_UNMASK"] = value
    return set_policy


@pytest.mark.parametrize("setting, relationship, unmasked", [
    ("reservation", None, False), ("reservation", "reserved", True), ("reservation", "purchased", True),
    ("purchase", None, False), ("purchase", "reserved", False), ("purchase", "purchased", True),
    ("view", None, True),
])
def test_unmask_policy_decides_when_contact_data_shows(market, seller, buyer, relationships, policy,
                                                      setting, relationship, unmasked):
    policy(setting)
    listing = market.listed(seller, email="hidden@acme.io", phone="+14155550123", last_name="Roe")
    if relationship:
        relationships[(listing["id"], buyer.partner_id)] = relationship
    detail = market.open(buyer, listing["leadId"]).get_json()
    assert detail["unmasked"] is unmasked and detail["unmaskPolicy"] == setting
    if unmasked:
        assert (detail["email"], detail["phone"], detail["lastName"]) == ("hidden@acme.io", "+14155550123", "Roe")
    else:
        assert (detail["email"], detail["phone"], detail["lastName"]) == ("h***@acme.io", "+1 (415) ***-0123", None)
    assert detail["viewCount"] == 1


def test_hook_pc_buyer_relationship(market, seller, buyer, actors, app, relationships):
    """The relationship another plugin vouches for (hook owned by the marketplace) opens a reserved listing."""
    stranger = actors.partner_owner()
    listing = market.listed(seller)
    with app.app_context():
        services.mark_reserved(listing["id"], buyer.partner_id)
    relationships[(listing["id"], buyer.partner_id)] = "reserved"
    with database_unchanged(app):  # a refused opening counts no view
        assert market.open(stranger, listing["leadId"]).status_code == 404
    response = market.open(buyer, listing["leadId"])
    assert response.status_code == 200 and response.get_json()["relationship"] == "reserved"
    assert market.open(seller, listing["leadId"]).status_code == 200
    with app.app_context():
        from pc_app.core.models import Partner
        from pc_app.plugins import call_hook
        from plugins.marketplace.models import Listing

        answers = call_hook(app.extensions["pc_plugin_manager"], "pc_buyer_relationship",
                            listing=Listing.objects(id=listing["id"]).first(),
                            partner=Partner.objects(id=buyer.partner_id).first())
    assert answers == [("marketplace_stand_in", "reserved")]


def test_unknown_unmask_setting_stops_start_up(app_config):
    from pc_app import create_app
    from pc_app.config import ConfigError

    with pytest.raises(ConfigError, match="MARKETPLACE_UNMASK"):
        create_app({**app_config, "MARKETPLACE_UNMASK": "always"})


def test_my_listings_shows_reservation_and_sale_facts(market, seller, buyer, app):
    reserved, sold = market.listed(seller), market.listed(seller, price=7000)
    with app.app_context():
        services.mark_reserved(reserved["id"], buyer.partner_id)
        services.mark_reserved(sold["id"], buyer.partner_id)
        services.mark_sold(sold["id"], buyer.partner_id)
    items = {i["id"]: i for i in market.my_listings(seller)["items"]}
    assert items[reserved["id"]]["reservation"]["buyerPartnerId"] == buyer.partner_id
    assert items[reserved["id"]]["reservation"]["reservedAt"].endswith("+00:00")
    assert items[reserved["id"]]["sale"] is None
    assert items[sold["id"]]["sale"]["price"] == 7000 and items[sold["id"]]["reservation"] is None
    assert [i["id"] for i in market.my_listings(seller, status="sold")["items"]] == [sold["id"]]
    assert market.my_listings(buyer)["total"] == 0


def test_my_listings_shows_when_a_reservation_expires_and_its_extension(market, seller, buyer, actors, app):
    import datetime as dt

    listing = market.listed(seller)
    expires = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    with app.app_context():
        services.mark_reserved(listing["id"], buyer.partner_id, expires_at=expires)
        assert services.extend_reservation(listing["id"], actors.partner_owner().partner_id,
                                           expires + dt.timedelta(days=7)) is None   # not their hold
    assert market.my_listings(seller)["items"][0]["reservation"]["expiresAt"] == "2030-01-02T03:04:05.000+00:00"
    with app.app_context():
        assert services.extend_reservation(listing["id"], buyer.partner_id, expires + dt.timedelta(days=7))
    assert market.my_listings(seller)["items"][0]["reservation"]["expiresAt"] == "2030-01-09T03:04:05.000+00:00"


def test_my_listings_is_kept_until_a_listing_changes(market, seller, buyer, app, db_commands):
    """A repeat costs no database round trip; a view, a reservation and a sale each show on the next request."""
    listing = market.listed(seller)
    first = market.my_listings(seller)
    with db_commands:
        assert market.my_listings(seller) == first
    assert db_commands.commands == []
    assert market.open(buyer, listing["leadId"]).status_code == 200  # a view is a write to the listing
    row = market.my_listings(seller)["items"][0]
    assert (row["viewCount"], row["uniqueViewers"], row["reservation"]) == (1, 1, None)
    with app.app_context():
        services.mark_reserved(listing["id"], buyer.partner_id)
    row = market.my_listings(seller)["items"][0]
    assert row["status"] == "reserved" and row["reservation"]["buyerPartnerId"] == buyer.partner_id
    with app.app_context():
        services.mark_sold(listing["id"], buyer.partner_id)
    row = market.my_listings(seller)["items"][0]
    assert row["status"] == "sold" and row["reservation"] is None and row["sale"]["price"] == 5000
    assert market.my_listings(seller, status="listed")["total"] == 0


def test_my_listings_rejects_an_unknown_status(client, seller):
    response = client.get("/v1/marketplace/my-listings", query_string={"status": "lost"}, headers=seller.headers)
    assert response.status_code == 422 and "status" in response.get_json()["errors"]


def test_detail_takes_the_lead_id_and_shows_its_current_listing(market, client, seller, buyer, app):
    listing = market.listed(seller)
    with database_unchanged(app):
        assert market.open(buyer, listing["id"]).status_code == 404   # a listing id is not a lead id
    assert market.open(buyer, listing["leadId"]).get_json()["id"] == listing["id"]
    url = f"/v1/marketplace/leads/{listing['leadId']}/list"
    assert client.delete(url, headers=seller.headers).status_code == 200
    assert market.open(buyer, listing["leadId"]).status_code == 404    # delisted: only its seller sees it
    assert market.open(seller, listing["leadId"]).get_json()["status"] == "delisted"
    again = client.post(url, json={"price": 7000}, headers=seller.headers).get_json()
    detail = market.open(buyer, listing["leadId"]).get_json()
    assert (detail["id"], detail["leadId"], detail["price"]) == (again["id"], listing["leadId"], 7000)


def test_routes_are_documented_in_the_openapi_spec(client):
    spec = client.get("/openapi.json").get_json()
    for path in ("/v1/marketplace/leads", "/v1/marketplace/leads/{lead_id}", "/v1/marketplace/leads/{lead_id}/list",
                 "/v1/marketplace/my-listings"):
        assert path in spec["paths"], path
    assert {"post", "patch", "delete"} <= set(spec["paths"]["/v1/marketplace/leads/{lead_id}/list"])
