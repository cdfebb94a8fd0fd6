"""Listing, repricing and delisting a lead: who may, at what price, and when not."""
import pytest

from pc_app.core.models import Lead
from pc_app.testing import database_unchanged
from plugins.marketplace import services
from plugins.marketplace.models import Listing


def test_listing_someone_elses_lead_is_404(market, seller, buyer, app):
    lead_id = market.lead(seller)
    with database_unchanged(app):
        response = market.list(buyer, lead_id)
    assert response.status_code == 404
    assert response.get_json()["message"] == "No such lead."


def test_listing_an_unknown_or_malformed_lead_id_is_404(market, seller, app):
    with database_unchanged(app):
        assert market.list(seller, "0" * 24).status_code == 404
        assert market.list(seller, "not-an-id").status_code == 404


def test_listing_a_deleted_lead_is_404(market, seller, client):
    lead_id = market.lead(seller)
    assert client.delete(f"/v1/leads/{lead_id}", headers=seller.headers).status_code == 204
    assert market.list(seller, lead_id).status_code == 404


def test_listing_the_same_lead_twice_is_409(market, seller, app):
    lead_id = market.lead(seller)
    assert market.list(seller, lead_id).status_code == 201
    with database_unchanged(app):
        response = market.list(seller, lead_id, price=9000)
    assert response.status_code == 409
    body = response.get_json()
    assert body["message"] == "This lead is already on the marketplace."
    assert "alreadyListed" in body["errors"]
    with app.app_context():
        assert Listing.objects(lead=lead_id).count() == 1


def test_the_database_refuses_a_second_open_listing_of_a_lead(market, seller, app):
    """The guarantee does not rest on the route: two inserts racing past any check still clash."""
    from mongoengine.errors import NotUniqueError

    lead_id = market.lead(seller)
    assert market.list(seller, lead_id).status_code == 201
    with app.app_context():
        with pytest.raises(NotUniqueError):
            Listing(lead=lead_id, seller=seller.partner_id, open_key=lead_id, price=700, email="x@y.z").save(
                force_insert=True)


def test_a_delisted_lead_can_be_listed_again(market, seller, client):
    lead_id = market.lead(seller)
    assert market.list(seller, lead_id).status_code == 201
    assert client.delete(f"/v1/marketplace/leads/{lead_id}/list", headers=seller.headers).status_code == 200
    response = market.list(seller, lead_id, price=7000)
    assert response.status_code == 201 and response.get_json()["price"] == 7000


@pytest.mark.parametrize("price", [0, 499, 1_000_001, -5])
def test_price_out_of_bounds_is_422_naming_price(market, seller, price, app):
    lead_id = market.lead(seller)
    with database_unchanged(app):
        response = market.list(seller, lead_id, price=price)
    assert response.status_code == 422
    body = response.get_json()
    assert list(body["errors"]) == ["price"]
    assert "between 500 and 1000000 cents" in body["message"]


@pytest.mark.parametrize("price", [500, 1_000_000])
def test_price_bounds_are_inclusive(market, seller, price):
    assert market.list(seller, market.lead(seller), price=price).status_code == 201


@pytest.mark.parametrize("body", [{}, {"price": "5000"}, {"price": 50.5}, {"price": 5000, "currency": "eur"},
                                  {"price": True}, {"price": 2**63}, {"price": None}])
def test_malformed_price_body_is_422(client, market, seller, body, app):
    lead_id = market.lead(seller)
    with database_unchanged(app):
        response = client.post(f"/v1/marketplace/leads/{lead_id}/list", json=body, headers=seller.headers)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) <= {"price", "currency"}


def test_bounds_come_from_settings(app_config):
    from pc_app import create_app

    app = create_app({**app_config, "MARKETPLACE_MIN_PRICE": 100, "MARKETPLACE_MAX_PRICE": 200})
    with app.test_request_context():
        services.check_price(150)
        from pc_app.toolkit import Invalid

        with pytest.raises(Invalid, match="between 100 and 200 cents") as refused:
            services.check_price(250)
        assert refused.value.errors == {"price": ["The price must be between 100 and 200 cents."]}


@pytest.mark.parametrize("status", ["suspended", "onboarding", "pending_verification"])
def test_partner_that_is_not_active_cannot_list(market, actors, status, app):
    owner = actors.partner_owner(status="active")
    lead_id = market.lead(owner)
    owner.partner.update(set__status=status)
    with database_unchanged(app):
        response = market.list(owner, lead_id)
    assert response.status_code == 403
    assert ("suspended" if status == "suspended" else "not active") in response.get_json()["message"]


def test_platform_staff_without_partner_cannot_list(market, actors, seller, app):
    admin = actors.admin()
    lead_id = market.lead(seller)
    with database_unchanged(app):
        assert market.list(admin, lead_id).status_code == 403


def test_hook_pc_listing_vetoes(market, seller, vetoes, app):
    """A plugin requiring the marketplace vetoes listing through the hook the marketplace owns."""
    vetoes[seller.partner_id] = [("payoutsEnabled", "Enable payouts before listing leads.")]
    lead_id = market.lead(seller)
    with database_unchanged(app):
        response = market.list(seller, lead_id)
    assert response.status_code == 409
    body = response.get_json()
    assert body["errors"] == {"payoutsEnabled": ["Enable payouts before listing leads."]}
    assert "Enable payouts before listing leads." in body["message"]
    with app.app_context():
        assert Listing.objects.count() == 0


def test_member_of_the_partner_may_list_its_leads(market, seller, actors):
    member = actors.member(seller.partner)
    assert market.list(member, market.lead(seller)).status_code == 201


def test_listing_snapshots_the_lead_and_reports_matching_partners(market, seller, actors, events, app):
    fit = actors.partner_owner(icp={"industries": ["saas"], "countries": ["US"]})            # 100
    half = actors.partner_owner(icp={"industries": ["retail"], "company_sizes": ["51-200"],
                                     "countries": ["US"]})                                   # 45/80 = 56
    no_icp = actors.partner_owner()
    suspended_fit = actors.partner_owner(status="suspended", icp={"industries": ["saas"]})
    listing = market.listed(seller, job_title="Head of SALES", email="Mixed.Case@Example.com")
    with app.app_context():
        stored = Listing.objects(id=listing["id"]).first()
    assert stored.job_title == "Head of SALES" and stored.job_title_key == "head of sales"
    assert stored.email == "mixed.case@example.com" and stored.masked_email == "m***@example.com"
    assert stored.open_key == listing["leadId"] and stored.unique_viewers == [] and stored.view_count == 0
    event = events.named("marketplace.lead_listed")[0]
    assert event.partner_ids == (seller.partner_id,)
    assert event.payload["matchingPartnerIds"] == [fit.partner_id]
    assert half.partner_id not in event.payload["matchingPartnerIds"]
    assert no_icp.partner_id not in event.payload["matchingPartnerIds"]
    assert suspended_fit.partner_id not in event.payload["matchingPartnerIds"]
    assert event.payload["price"] == 5000 and event.payload["leadId"] == listing["leadId"]


def test_reprice_changes_the_price_while_listed(market, seller, client, events):
    listing = market.listed(seller, price=5000)
    response = client.patch(f"/v1/marketplace/leads/{listing['leadId']}/list", json={"price": 6000},
                            headers=seller.headers)
    assert response.status_code == 200 and response.get_json()["price"] == 6000
    payload = events.named("marketplace.listing_repriced")[0].payload
    assert (payload["oldPrice"], payload["price"], payload["leadId"]) == (5000, 6000, listing["leadId"])


def test_reprice_out_of_bounds_is_422(market, seller, client, app):
    listing = market.listed(seller)
    with database_unchanged(app):
        response = client.patch(f"/v1/marketplace/leads/{listing['leadId']}/list", json={"price": 10},
                                headers=seller.headers)
    assert response.status_code == 422 and "price" in response.get_json()["errors"]


def test_reprice_or_delist_without_an_open_listing_is_409(market, seller, client, app):
    lead_id = market.lead(seller)
    url = f"/v1/marketplace/leads/{lead_id}/list"
    with database_unchanged(app):
        response = client.patch(url, json={"price": 6000}, headers=seller.headers)
        assert response.status_code == 409 and "not on the marketplace" in response.get_json()["message"]
        assert client.delete(url, headers=seller.headers).status_code == 409


def test_reserved_listing_cannot_be_repriced_or_delisted(market, seller, buyer, client, app):
    listing = market.listed(seller)
    with app.app_context():
        assert services.mark_reserved(listing["id"], buyer.partner_id) is not None
    url = f"/v1/marketplace/leads/{listing['leadId']}/list"
    with database_unchanged(app):
        response = client.patch(url, json={"price": 6000}, headers=seller.headers)
        assert response.status_code == 409 and "reserved" in response.get_json()["message"]
        response = client.delete(url, headers=seller.headers)
        assert response.status_code == 409 and "reserved" in response.get_json()["message"]


def test_sold_lead_cannot_be_delisted_by_the_former_seller(market, seller, buyer, client, app):
    listing = market.listed(seller)
    with app.app_context():
        services.mark_reserved(listing["id"], buyer.partner_id)
        assert services.mark_sold(listing["id"], buyer.partner_id).status == "sold"
        # Payments moves the lead to the buyer; the former seller then has no such lead.
        Lead.objects(id=listing["leadId"]).update_one(set__partner=buyer.partner_id)
    assert client.delete(f"/v1/marketplace/leads/{listing['leadId']}/list",
                         headers=seller.headers).status_code == 404


def test_another_partner_cannot_reprice_or_delist(market, seller, buyer, client, app):
    listing = market.listed(seller)
    url = f"/v1/marketplace/leads/{listing['leadId']}/list"
    with database_unchanged(app):
        assert client.patch(url, json={"price": 6000}, headers=buyer.headers).status_code == 404
        assert client.delete(url, headers=buyer.headers).status_code == 404


def test_deleting_a_listed_lead_delists_it(market, seller, buyer, client, events):
    listing = market.listed(seller)
    assert client.delete(f"/v1/leads/{listing['leadId']}", headers=seller.headers).status_code == 204
    assert market.browse(buyer)["total"] == 0
    assert market.my_listings(seller)["items"][0]["status"] == "delisted"
    assert events.named("marketplace.lead_delisted")[0].payload["reason"] == "lead_deleted"


def test_editing_a_listed_lead_refreshes_what_buyers_see(market, seller, buyer, client):
    listing = market.listed(seller, industry="retail")
    response = client.patch(f"/v1/leads/{listing['leadId']}", json={"industry": "saas", "jobTitle": "CTO"},
                            headers=seller.headers)
    assert response.status_code == 200
    card = market.browse(buyer)["items"][0]
    assert card["industry"] == "saas" and card["jobTitle"] == "CTO"


def test_first_lead_listed_onboarding_step(market, seller, app):
    from pc_app.plugins import call_hook

    def step():
        with app.app_context():
            seller.partner.reload()
            results = call_hook(app.extensions["pc_plugin_manager"], "pc_onboarding_steps", partner=seller.partner)
            [found] = [s for _name, steps in results for s in steps or [] if s.key == "firstLeadListed"]
            assert found.position == 40
            return found.done

    assert step() is False
    market.listed(seller)
    assert step() is True


def test_payments_state_changes_are_conditional(market, seller, buyer, actors, app):
    other = actors.partner_owner()
    listing = market.listed(seller)
    with app.app_context():
        assert services.get_open_listing(listing["id"]).id == listing["id"]
        assert services.mark_reserved(listing["id"], seller.partner_id) is None      # not one's own
        assert services.mark_reserved(listing["id"], buyer.partner_id).status == "reserved"
        assert services.mark_reserved(listing["id"], other.partner_id) is None       # already taken
        assert services.get_open_listing(listing["id"]) is None
        assert services.mark_sold(listing["id"], other.partner_id) is None           # not their hold
        assert services.relist(listing["id"], other.partner_id) is None
        assert services.relist(listing["id"], buyer.partner_id).status == "listed"
        assert services.mark_sold(listing["id"], buyer.partner_id) is None           # no longer reserved
        services.mark_reserved(listing["id"], other.partner_id)
        sold = services.mark_sold(listing["id"], other.partner_id)
        assert (sold.status, sold.buyer, sold.sold_price, sold.open_key) == ("sold", other.partner_id, 5000, None)
    # The lead's open key is free again: its new owner may list it.
    assert market.my_listings(seller)["items"][0]["sale"]["buyerPartnerId"] == other.partner_id


def test_exactly_one_of_many_racing_buyers_reserves(market, seller, actors, app, db_latency):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    buyers = [actors.partner_owner() for _ in range(6)]
    listing = market.listed(seller)
    barrier = threading.Barrier(len(buyers))
    # Any read of the listing holds its reader until every buyer has read: nobody writes first.
    db_latency.rendezvous("find", "marketplace_listings", parties=len(buyers))

    def reserve(b):
        with app.app_context():
            barrier.wait()
            return services.mark_reserved(listing["id"], b.partner_id) is not None

    with ThreadPoolExecutor(len(buyers)) as pool:
        results = list(pool.map(reserve, buyers))
    assert results.count(True) == 1
    with app.app_context():
        stored = Listing.objects(id=listing["id"]).get()
    assert stored.status == "reserved" and stored.reserved_by in {b.partner_id for b in buyers}
