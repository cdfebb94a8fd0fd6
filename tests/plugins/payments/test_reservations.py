"""Reservations: reserve by lead id, list with the countdown, extend once, cancel, and the 409/403 rules."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from pc_app.testing import TEST_PASSWORD  # noqa: F401  (the actors' password, for readers)

ERROR_KEYS = {"code", "status", "message", "errors"}


def assert_conflict(response, rule):
    body = response.get_json()
    assert response.status_code == 409, body
    assert set(body) == ERROR_KEYS and rule in body["errors"], body
    assert body["message"] and body["message"].endswith(".")


def test_buyer_reserves_a_listed_lead_by_its_lead_id_and_sees_the_countdown(shop, seller, buyer, client, events):
    listing = shop.listed(seller, price=12345)
    response = shop.reserve(buyer, listing["leadId"])
    assert response.status_code == 201, response.get_json()
    reservation = response.get_json()
    assert reservation["leadId"] == listing["leadId"] and reservation["listingId"] == listing["id"]
    assert reservation["status"] == "active" and reservation["price"] == 12345
    assert 168 * 3600 - 5 <= reservation["secondsLeft"] <= 168 * 3600
    assert reservation["listing"]["leadId"] == listing["leadId"] and reservation["listing"]["email"] == "l***@example.com"

    page = client.get("/v1/marketplace/reservations", headers=buyer.headers).get_json()
    assert page["total"] == 1 and page["items"][0]["id"] == reservation["id"]
    assert page["items"][0]["expiresAt"] == reservation["expiresAt"]
    assert client.get("/v1/marketplace/reservations?status=expired", headers=buyer.headers).get_json()["total"] == 0

    mine = client.get("/v1/marketplace/my-listings", headers=seller.headers).get_json()["items"][0]
    assert mine["status"] == "reserved" and mine["reservation"]["buyerPartnerId"] == buyer.partner_id
    assert shop.client.get("/v1/marketplace/leads", headers=buyer.headers).get_json()["total"] == 0

    [reserved] = events.named("payments.lead_reserved")
    assert set(reserved.partner_ids) == {buyer.partner_id, seller.partner_id}
    assert reserved.payload["expiresAt"] == reservation["expiresAt"] and reserved.payload["industry"] == "saas"
    assert reserved.payload["price"] == 12345 and reserved.payload["currency"] == "usd"


def test_second_buyer_gets_409_when_lead_already_reserved(shop, seller, buyer):
    listing = shop.listed(seller)
    shop.reserved(buyer, listing)
    assert_conflict(shop.reserve(shop.buyer(), listing["leadId"]), "alreadyReserved")
    assert_conflict(shop.reserve(buyer, listing["leadId"]), "alreadyReserved")


def test_reserving_your_own_listing_is_refused(shop, seller):
    listing = shop.listed(seller)
    assert_conflict(shop.reserve(seller, listing["leadId"]), "ownListing")


def test_unknown_or_unlisted_lead_is_404(shop, seller, buyer):
    assert shop.reserve(buyer, "0" * 24).status_code == 404
    assert shop.reserve(buyer, shop.lead(seller)).status_code == 404
    assert shop.reserve(buyer, "not-an-id").status_code == 404


@pytest.mark.parametrize("status", ["suspended", "onboarding"])
def test_suspended_or_not_yet_active_buyers_get_403(shop, seller, actors, status):
    listing = shop.listed(seller)
    inactive = actors.partner_owner(status=status)
    response = shop.reserve(inactive, listing["leadId"])
    assert response.status_code == 403 and set(response.get_json()) == ERROR_KEYS


def test_a_buyer_holds_at_most_max_active_reservations(shop, seller, buyer, app):
    app.config["PAYMENTS_MAX_ACTIVE_RESERVATIONS"] = 2
    listings = [shop.listed(seller) for _ in range(3)]
    first = shop.reserved(buyer, listings[0])
    shop.reserved(buyer, listings[1])
    assert_conflict(shop.reserve(buyer, listings[2]["leadId"]), "maxActiveReservations")
    # Cancelling one frees a slot.
    assert shop.client.delete(f"/v1/marketplace/reservations/{first['id']}", headers=buyer.headers).status_code == 200
    assert shop.reserve(buyer, listings[2]["leadId"]).status_code == 201


def test_extend_once_then_no_extension_left(shop, seller, buyer, client, events):
    reservation = shop.reserved(buyer, shop.listed(seller))
    response = client.patch(f"/v1/marketplace/reservations/{reservation['id']}/extend", headers=buyer.headers)
    assert response.status_code == 200, response.get_json()
    extended = response.get_json()
    assert extended["extensionsUsed"] == 1
    assert extended["secondsLeft"] >= reservation["secondsLeft"] + 168 * 3600 - 5
    [event] = events.named("payments.reservation_extended")
    assert event.payload["expiresAt"] == extended["expiresAt"]
    mine = client.get("/v1/marketplace/my-listings", headers=shop.seller().headers)
    assert mine.status_code == 200
    assert_conflict(client.patch(f"/v1/marketplace/reservations/{reservation['id']}/extend", headers=buyer.headers),
                    "noExtensionLeft")


def test_an_extension_past_fourteen_days_in_all_is_refused(shop, seller, buyer, app, client):
    app.config["PAYMENTS_EXTENSION_HOURS"] = 200.0
    reservation = shop.reserved(buyer, shop.listed(seller))
    assert_conflict(client.patch(f"/v1/marketplace/reservations/{reservation['id']}/extend", headers=buyer.headers),
                    "maxHold")


def test_cancel_relists_the_lead(shop, seller, buyer, client, events):
    listing = shop.listed(seller)
    reservation = shop.reserved(buyer, listing)
    response = client.delete(f"/v1/marketplace/reservations/{reservation['id']}", headers=buyer.headers)
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert client.get("/v1/marketplace/leads", headers=buyer.headers).get_json()["total"] == 1
    assert len(events.named("payments.reservation_cancelled")) == 1
    assert_conflict(client.delete(f"/v1/marketplace/reservations/{reservation['id']}", headers=buyer.headers),
                    "reservationNotActive")
    assert shop.reserve(shop.buyer(), listing["leadId"]).status_code == 201


def test_another_partners_reservation_is_404(shop, seller, buyer, client):
    reservation = shop.reserved(buyer, shop.listed(seller))
    stranger = shop.buyer()
    for response in (client.get(f"/v1/marketplace/reservations/{reservation['id']}", headers=stranger.headers),
                     client.delete(f"/v1/marketplace/reservations/{reservation['id']}", headers=stranger.headers),
                     client.patch(f"/v1/marketplace/reservations/{reservation['id']}/extend",
                                  headers=stranger.headers)):
        assert response.status_code == 404 and set(response.get_json()) == ERROR_KEYS
    assert client.get("/v1/marketplace/reservations", headers=stranger.headers).get_json()["total"] == 0


def test_the_reservations_page_is_kept_and_its_countdown_still_runs(shop, seller, buyer, client, db_commands, app):
    """A repeat costs no database round trip yet counts down; an extension and a cancel show on the next request."""
    reservation = shop.reserved(buyer, shop.listed(seller))
    url = f"/v1/marketplace/reservations/{reservation['id']}"

    def page() -> dict:
        response = client.get("/v1/marketplace/reservations", headers=buyer.headers)
        assert response.status_code == 200 and "Content-Encoding" not in response.headers
        return response.get_json()

    first = page()
    time.sleep(1.05)
    with db_commands:
        again = page()
    assert db_commands.commands == []
    [before], [after] = first["items"], again["items"]
    assert after["secondsLeft"] <= before["secondsLeft"] - 1 and after["paymentInProgress"] is False
    assert {**after, "secondsLeft": None} == {**before, "secondsLeft": None}
    assert {k: v for k, v in again.items() if k != "items"} == {k: v for k, v in first.items() if k != "items"}

    assert client.patch(f"{url}/extend", headers=buyer.headers).status_code == 200
    [extended] = page()["items"]
    assert extended["extensionsUsed"] == 1 and extended["secondsLeft"] > after["secondsLeft"] + 160 * 3600
    assert client.delete(url, headers=buyer.headers).status_code == 200
    [cancelled] = page()["items"]
    assert (cancelled["status"], cancelled["secondsLeft"]) == ("cancelled", 0)
    app.config["LIST_PAGE_CACHE_SECONDS"] = 0  # nothing kept: the same answer, built each time
    assert page()["items"] == [cancelled]


def test_reservation_list_rejects_an_unknown_status(client, buyer):
    response = client.get("/v1/marketplace/reservations?status=nope", headers=buyer.headers)
    assert response.status_code == 422 and "status" in response.get_json()["errors"]


def test_fifty_concurrent_reserves_of_one_listing_have_exactly_one_winner(shop, seller, app, db_latency, actors):
    listing = shop.listed(seller)
    racers = [actors.partner_owner() for _ in range(50)]
    # Every racer reads the listing's state (its free slots) before any of them writes.
    hold = db_latency.rendezvous("aggregate", "payments_reservations", parties=len(racers), timeout=10)
    barrier = threading.Barrier(len(racers))

    def reserve(racer):
        client = app.test_client()
        barrier.wait()
        return client.post(f"/v1/marketplace/leads/{listing['leadId']}/reserve", headers=racer.headers)

    with ThreadPoolExecutor(len(racers)) as pool:
        answers = list(pool.map(reserve, racers))
    assert hold.met
    statuses = sorted(response.status_code for response in answers)
    assert statuses == [201] + [409] * 49, statuses
    assert all("alreadyReserved" in r.get_json()["errors"] for r in answers if r.status_code == 409)
    with app.app_context():
        from plugins.payments.models import Reservation
        assert Reservation.objects(listing=listing["id"]).count() == 1


def test_concurrent_reserves_by_one_buyer_never_pass_the_maximum(shop, seller, buyer, app, db_latency):
    app.config["PAYMENTS_MAX_ACTIVE_RESERVATIONS"] = 2
    listings = [shop.listed(seller) for _ in range(5)]
    hold = db_latency.rendezvous("aggregate", "payments_reservations", parties=5, timeout=10)
    barrier = threading.Barrier(5)

    def reserve(listing):
        client = app.test_client()
        barrier.wait()
        return client.post(f"/v1/marketplace/leads/{listing['leadId']}/reserve", headers=buyer.headers)

    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(reserve, listings))
    assert hold.met
    assert sorted(r.status_code for r in answers) == [201, 201, 409, 409, 409]
    assert shop.client.get("/v1/marketplace/leads", headers=buyer.headers).get_json()["total"] == 3


def test_hook_pc_lead_change_vetoes(shop, seller, buyer, client, stripe):
    """The marketplace vetoes an edit or deletion of a reserved lead (``pc_lead_change_vetoes``): the buyer pays for
    the data it reserved, not what the seller changed it to meanwhile. Notes stay allowed; once the hold ends, the
    seller may change the lead again."""
    listing = shop.listed(seller, email="ada@engines.example")
    lead_url = f"/v1/leads/{listing['leadId']}"
    reservation = shop.reserved(buyer, listing)
    assert_conflict(client.patch(lead_url, json={"email": "junk@nowhere.example"}, headers=seller.headers), "reserved")
    assert_conflict(client.delete(lead_url, headers=seller.headers), "reserved")
    assert client.post(f"{lead_url}/notes", json={"text": "called back"}, headers=seller.headers).status_code == 201
    bought = shop.buy(buyer, reservation["id"]).get_json()
    copy = client.get(f"/v1/leads/{bought['buyerLeadId']}", headers=buyer.headers).get_json()
    assert copy["email"] == "ada@engines.example"  # what was reserved

    other = shop.listed(seller)  # a hold that ends gives the lead back to its seller
    held = shop.reserved(buyer, other)
    assert_conflict(client.patch(f"/v1/leads/{other['leadId']}", json={"company": "X"}, headers=seller.headers),
                    "reserved")
    client.delete(f"/v1/marketplace/reservations/{held['id']}", headers=buyer.headers)
    assert client.patch(f"/v1/leads/{other['leadId']}", json={"company": "X"}, headers=seller.headers).status_code == 200
    assert client.delete(f"/v1/leads/{other['leadId']}", headers=seller.headers).status_code == 204


def test_a_buyer_that_already_has_the_leads_email_cannot_reserve_or_buy_it(shop, seller, buyer, client, app):
    """Browse never shows a buyer a lead whose e-mail it owns (PRODUCT.md §4); reserving one by its id, or paying for
    a hold after adding a lead with that e-mail, would charge it for what it has. Both are refused, nothing is held
    or charged, and the listing stays for others."""
    listing = shop.listed(seller, email="Grace@Hopper.example")
    mine = client.post("/v1/leads", json={"firstName": "Grace", "email": "grace@hopper.example"}, headers=buyer.headers)
    assert mine.status_code == 201
    assert_conflict(shop.reserve(buyer, listing["leadId"]), "alreadyOwned")
    assert client.get("/v1/marketplace/reservations", headers=buyer.headers).get_json()["total"] == 0
    other_buyer = shop.buyer()
    assert shop.reserve(other_buyer, listing["leadId"]).status_code == 201  # still listed for the others

    later = shop.listed(seller, email="alan@turing.example")
    reservation = shop.reserved(buyer, later)
    assert client.post("/v1/leads", json={"firstName": "Alan", "email": "alan@turing.example"},
                       headers=buyer.headers).status_code == 201
    assert_conflict(shop.buy(buyer, reservation["id"]), "alreadyOwned")
    assert shop.intents() == []  # Stripe was never asked
    assert client.get(f"/v1/marketplace/reservations/{reservation['id']}",
                      headers=buyer.headers).get_json()["status"] == "cancelled"
    assert shop.reserve(other_buyer, later["leadId"]).status_code == 201  # listed again
