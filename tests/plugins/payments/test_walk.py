"""The whole walk: payouts through the account link, listing, reserve, extend, buy; the money adds up to the cent."""
from __future__ import annotations

import requests


def test_the_whole_walk_from_payouts_to_the_buyer_owning_the_lead(shop, client, stripe, actors, events):
    # The seller enables payouts the way a person does: our link, Stripe's page, back to the frontend.
    seller = actors.partner_owner(name="Seller Co")
    link = client.post("/v1/payments/connect/onboarding", headers=seller.headers).get_json()
    assert requests.get(link["url"], allow_redirects=False, timeout=10).status_code in (302, 303)
    shop.deliver()
    account = shop.status(seller)["accountId"]

    listing = shop.listed(seller, price=9999, email="walk@acme.io")
    buyer = shop.buyer(name="Buyer Co")
    detail = client.get(f"/v1/marketplace/leads/{listing['leadId']}", headers=buyer.headers).get_json()
    assert detail["leadId"] == listing["leadId"] and detail["id"] == listing["id"]

    reservation = shop.reserved(buyer, listing)
    extended = client.patch(f"/v1/marketplace/reservations/{reservation['id']}/extend", headers=buyer.headers)
    assert extended.status_code == 200 and extended.get_json()["extensionsUsed"] == 1
    held = client.get(f"/v1/marketplace/leads/{listing['leadId']}", headers=buyer.headers).get_json()
    assert held["relationship"] == "reserved"

    purchase = shop.buy(buyer, reservation["id"], "pm_card_visa", key="walk-1").get_json()
    assert purchase["status"] == "succeeded"
    fee, payout = purchase["platformFee"], purchase["sellerPayout"]
    assert (fee, payout) == (2000, 7999) and fee + payout == 9999
    shop.deliver()

    platform = stripe.admin.balances()["platform"]
    assert stripe.admin.available(account) == payout
    assert stripe.admin.available(platform) == fee
    assert stripe.admin.available(account) + stripe.admin.available(platform) == 9999

    types = {i["invoiceType"]: i for i in client.get("/v1/invoices", headers=actors.admin().headers)
             .get_json()["items"]}
    assert set(types) == {"purchase", "payout"}
    assert types["purchase"]["partnerId"] == buyer.partner_id and types["payout"]["partnerId"] == seller.partner_id

    leads = client.get("/v1/leads", headers=buyer.headers).get_json()["items"]
    assert [(lead["email"], lead["source"]) for lead in leads] == [("walk@acme.io", "marketplace")]
    bought = client.get(f"/v1/marketplace/leads/{listing['leadId']}", headers=buyer.headers).get_json()
    assert bought["relationship"] == "purchased" and bought["status"] == "sold"
    assert events.names.count("payments.purchase_succeeded") == 1
    assert [name for name in events.names if name.startswith("payments.")] == [
        "payments.payouts_enabled", "payments.lead_reserved", "payments.reservation_extended",
        "payments.purchase_succeeded"]
