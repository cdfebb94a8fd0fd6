"""Invoices: a purchase invoice to the buyer, a payout statement to the seller, gap-free numbers, PDF."""
from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

from pc_app.toolkit import utcnow

NUMBER = re.compile(r"^PC-(\d{4})-(\d{6})$")


def test_invoices_carry_the_price_the_fee_and_the_payout(shop, seller, buyer, client):
    purchase = shop.bought(buyer, shop.listed(seller, price=10003))
    [invoice] = client.get("/v1/invoices", headers=buyer.headers).get_json()["items"]
    assert invoice["invoiceType"] == "purchase" and invoice["purchaseId"] == purchase["id"]
    assert invoice["total"] == 10003 and NUMBER.match(invoice["number"])
    assert NUMBER.match(invoice["number"]).group(1) == str(utcnow().year)
    [statement] = client.get("/v1/invoices", headers=seller.headers).get_json()["items"]
    amounts = [line["amount"] for line in statement["lines"]]
    assert amounts == [10003, -2001] and statement["total"] == 8002 == sum(amounts)
    detail = client.get(f"/v1/invoices/{statement['id']}", headers=seller.headers)
    assert detail.status_code == 200 and detail.get_json()["number"] == statement["number"]


def test_an_invoice_renders_as_pdf_by_accept_header_or_path(shop, seller, buyer, client):
    shop.bought(buyer, shop.listed(seller))
    [invoice] = client.get("/v1/invoices", headers=buyer.headers).get_json()["items"]
    by_accept = client.get(f"/v1/invoices/{invoice['id']}", headers={**buyer.headers, "Accept": "application/pdf"})
    by_path = client.get(f"/v1/invoices/{invoice['id']}/pdf", headers=buyer.headers)
    for response in (by_accept, by_path):
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.data.startswith(b"%PDF-") and len(response.data) > 800
        assert invoice["number"].encode() in response.headers["Content-Disposition"].encode()


def test_another_partners_invoice_is_404(shop, seller, buyer, client, actors):
    shop.bought(buyer, shop.listed(seller))
    [invoice] = client.get("/v1/invoices", headers=buyer.headers).get_json()["items"]
    stranger = actors.partner_owner()
    for path in (f"/v1/invoices/{invoice['id']}", f"/v1/invoices/{invoice['id']}/pdf"):
        assert client.get(path, headers=stranger.headers).status_code == 404
        assert client.get(path, headers=seller.headers).status_code == 404
    assert client.get("/v1/invoices", headers=stranger.headers).get_json()["total"] == 0
    staff = actors.admin()
    assert client.get("/v1/invoices", headers=staff.headers).get_json()["total"] == 2
    assert client.get("/v1/invoices?type=payout", headers=staff.headers).get_json()["total"] == 1


def test_twenty_concurrent_sales_get_gap_free_invoice_numbers(shop, app, actors, db_latency):
    seller = shop.seller()
    buyers = [actors.partner_owner() for _ in range(20)]
    reservations = [shop.reserved(b, shop.listed(seller)) for b in buyers]
    # Several issuers reach the year's counter at once.
    hold = db_latency.rendezvous("findAndModify", "payments_invoice_counters", parties=4, when="before", timeout=5)
    barrier = threading.Barrier(20)

    def buy(pair):
        buyer, reservation = pair
        client = app.test_client()
        barrier.wait()
        return shop.buy(buyer, reservation["id"], client=client).status_code

    with ThreadPoolExecutor(20) as pool:
        assert list(pool.map(buy, zip(buyers, reservations))) == [201] * 20
    assert hold.met
    staff = actors.admin()
    numbers = []
    for page in (1, 2):
        items = shop.client.get(f"/v1/invoices?perPage=25&page={page}", headers=staff.headers).get_json()["items"]
        numbers += [int(NUMBER.match(item["number"]).group(2)) for item in items]
    assert sorted(numbers) == list(range(1, 41))


def test_a_number_drawn_before_a_crash_goes_to_its_own_invoice(app_ctx):
    """A crash between drawing a number and writing it leaves it pending; the next issuer writes it, no gap."""
    from plugins.payments.models import Invoice, InvoiceCounter
    from plugins.payments.services.invoices import issue

    year = utcnow().year

    def draft(key):
        return Invoice(draft_key=key, invoice_type="purchase", purchase="a" * 24, partner="b" * 24, year=year,
                       total=100).save(force_insert=True)

    crashed, later = draft("crashed:purchase"), draft("later:purchase")
    InvoiceCounter._get_collection().insert_one({"_id": str(year), "seq": 7, "pending": crashed.id})
    issued = issue(later)
    assert issued.number == f"PC-{year}-000008"
    assert Invoice.objects(id=crashed.id).first().number == f"PC-{year}-000007"
    assert InvoiceCounter._get_collection().find_one({"_id": str(year)})["pending"] is None
