"""A partner's kept marketplace lists (reservations, purchases, sales, invoices, own listings) are not ended by
other partners trading: every write to those collections names its owners, or its reply does."""
from __future__ import annotations

from plugins.payments import jobs as payment_jobs

TINY_HOURS = 0.0001  # 0.36 s: a hold that ends while the test runs

MY_LISTS = ["/v1/marketplace/reservations", "/v1/marketplace/purchases?as=buyer",
            "/v1/marketplace/purchases?as=seller", "/v1/invoices", "/v1/marketplace/my-listings"]


def _lists(client, actor) -> dict:
    return {url: _list(client, actor, url) for url in MY_LISTS}


def _list(client, actor, url) -> dict:
    """The list's answer without the reservations' countdown (worked out at every answer, kept or not)."""
    answer = client.get(url, headers=actor.headers)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    for item in body["items"]:
        item.pop("secondsLeft", None)
    return body


def _others_trade(shop, app, client, staff, seller, buyer) -> None:
    """Everything two other partners do on the marketplace: list, view, reserve, extend, cancel, buy, let a
    hold expire, reprice, delist, and a refund by platform staff."""
    viewed, bought, lapsing, delisted = (shop.listed(seller) for _ in range(4))
    assert client.get(f"/v1/marketplace/leads/{viewed['leadId']}", headers=buyer.headers).status_code == 200
    held = shop.reserved(buyer, viewed)
    assert client.patch(f"/v1/marketplace/reservations/{held['id']}/extend", headers=buyer.headers).status_code == 200
    assert client.delete(f"/v1/marketplace/reservations/{held['id']}", headers=buyer.headers).status_code == 200
    purchase = shop.bought(buyer, bought)
    shop.deliver()
    assert client.post(f"/v1/marketplace/purchases/{purchase['id']}/refund", json={"reason": "customer asked"},
                       headers=staff.headers).status_code == 200
    shop.deliver()
    hours = app.config["PAYMENTS_RESERVATION_HOURS"]
    app.config["PAYMENTS_RESERVATION_HOURS"] = TINY_HOURS
    try:
        lapsed = shop.reserved(buyer, lapsing)
    finally:
        app.config["PAYMENTS_RESERVATION_HOURS"] = hours
    shop.wait_past(lapsed)
    assert shop.run_in_app(payment_jobs.expire_reservation, lapsed["id"]) is True
    shop.run_in_app(payment_jobs.sweep)
    assert client.patch(f"/v1/marketplace/leads/{viewed['leadId']}/list", json={"price": 12000},
                      headers=seller.headers).status_code == 200
    assert client.delete(f"/v1/marketplace/leads/{delisted['leadId']}/list", headers=seller.headers).status_code == 200


def test_other_partners_trading_leaves_a_partners_kept_lists(shop, app, client, actors, db_commands):
    me = shop.buyer(name="Me Co")   # who buys and sells
    shop.onboard(me)
    their_seller, their_buyer = shop.seller(name="Their Seller"), shop.buyer(name="Their Buyer")
    staff = actors.admin()
    # Something in each of my lists: a sale, a purchase (with their invoices), a hold, a listing still open.
    shop.bought(their_buyer, shop.listed(me))
    shop.bought(me, shop.listed(their_seller))
    shop.deliver()
    shop.reserved(me, shop.listed(their_seller))
    mine_open = shop.listed(me)
    first = _lists(client, me)
    assert [first[url]["total"] for url in MY_LISTS] == [2, 1, 1, 2, 2]

    _others_trade(shop, app, client, staff, their_seller, their_buyer)

    for url in MY_LISTS:
        with db_commands:
            again = _list(client, me, url)
        assert (db_commands.commands, again) == ([], first[url]), url  # kept: nothing of mine changed

    # A write to what is mine ends it at once: my listing reserved, a hold of my own.
    shop.reserved(their_buyer, mine_open)
    shop.reserved(me, shop.listed(their_seller))
    now = _lists(client, me)
    assert now["/v1/marketplace/reservations"]["total"] == 3
    assert [item["status"] for item in now["/v1/marketplace/my-listings"]["items"]] == ["reserved", "sold"]
