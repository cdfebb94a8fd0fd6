"""The marketplace walked end to end by two active partners, as PRODUCT.md §4 tells it."""


def test_seller_lists_buyer_browses_opens_and_seller_reprices_then_delists(market, seller, buyer, events):
    lead_id = market.lead(seller, first_name="John", last_name="Smith", email="john.smith@example.com",
                          phone="+14155550123", job_title="VP of Sales", notes=[])
    own_other = market.listed(buyer, email="someone@buyer.test")

    # Seller lists.
    response = market.list(seller, lead_id, price=25000)
    assert response.status_code == 201, response.get_json()
    listing = response.get_json()
    assert listing["status"] == "listed" and listing["price"] == 25000 and listing["leadId"] == lead_id

    # Buyer browses: masked, scored, its own listing absent.
    page = market.browse(buyer)
    assert page["total"] == 1 and [c["id"] for c in page["items"]] == [listing["id"]]
    assert own_other["id"] not in [c["id"] for c in page["items"]]
    card = page["items"][0]
    assert card["email"] == "j***@example.com"
    assert card["phone"] == "+1 (415) ***-0123"
    assert "lastName" not in card and "notes" not in card
    assert card["firstName"] == "John" and card["jobTitle"] == "VP of Sales"
    assert card["icpScore"] == 100
    assert set(card["matchedCriteria"]) == {"industry", "companySize", "country", "jobTitleOrSeniority"}

    # Buyer opens it: unmasked (default policy "view"), notes hidden, view counted.
    response = market.open(buyer, listing["leadId"])
    assert response.status_code == 200, response.get_json()
    detail = response.get_json()
    assert detail["email"] == "john.smith@example.com" and detail["phone"] == "+14155550123"
    assert detail["lastName"] == "Smith" and detail["unmasked"] is True
    assert "notes" not in detail
    assert detail["viewCount"] == 1 and detail["uniqueViewers"] == 1

    # Seller sees the view.
    mine = market.my_listings(seller)
    assert mine["total"] == 1
    assert mine["items"][0]["viewCount"] == 1 and mine["items"][0]["uniqueViewers"] == 1

    # Seller reprices; the buyer sees the new price.
    response = market.client.patch(f"/v1/marketplace/leads/{lead_id}/list", json={"price": 30000},
                                   headers=seller.headers)
    assert response.status_code == 200 and response.get_json()["price"] == 30000
    assert market.browse(buyer)["items"][0]["price"] == 30000

    # Seller delists: gone from browse, still in my-listings as delisted.
    response = market.client.delete(f"/v1/marketplace/leads/{lead_id}/list", headers=seller.headers)
    assert response.status_code == 200 and response.get_json()["status"] == "delisted"
    assert market.browse(buyer)["total"] == 0
    assert market.my_listings(seller, status="delisted")["items"][0]["id"] == listing["id"]

    assert [e.name for e in events if e.name.startswith("marketplace.")] == [
        "marketplace.lead_listed", "marketplace.lead_listed", "marketplace.lead_viewed",
        "marketplace.listing_repriced", "marketplace.lead_delisted"]
