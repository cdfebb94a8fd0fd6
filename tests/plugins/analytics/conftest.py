"""Fixtures of the analytics tests: the plugin, the event catalogs it hears, and a script of marketplace activity.

Analytics requires only the core, but it hears other plugins' events: the marketplace and
registration plugins (on main) are enabled for their real catalogs and routes, and the
payments and sync events come from ``contract_events_plugin``, which declares them exactly
as CONTRACT_EVENTS.md does (those plugins are being written beside this one).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from pc_app.testing import EVENT_RECORDER

HERE = __name__.rpartition(".")[0]
CONTRACT = {"analytics_contract_events": f"{HERE}.contract_events_plugin"}
UTC = dt.timezone.utc


@pytest.fixture
def app_config(app_config):
    return {**app_config,
            "PC_PLUGINS": ["analytics", "marketplace", "registration", "analytics_contract_events", "event_recorder"],
            "PC_EXTRA_PLUGINS": {**CONTRACT, **EVENT_RECORDER}, "REGISTRATION_RATELIMIT": "1000 per minute"}


def at(day: str, time: str = "12:00") -> dt.datetime:
    """An aware UTC datetime: ``at("2026-11-02", "09:30")``."""
    return dt.datetime.fromisoformat(f"{day}T{time}:00+00:00")


@dataclass
class Listing:
    id: str
    lead: str
    seller: str
    price: int
    industry: str | None
    listed_at: dt.datetime


@dataclass
class Purchase:
    id: str
    listing: Listing
    buyer: str
    amount: int
    fee: int
    payout: int


class Script:
    """Marketplace activity as the events analytics hears, at chosen times, through the real durable path.

    Each event is checked against the app's catalog (as ``emit`` does), stored with its time
    and queued for the durable subscribers; ``fold()`` runs the deliveries with a real worker.
    """

    def __init__(self, app, jobs):
        self.app, self.jobs = app, jobs
        self.emitted: list = []

    def emit(self, name: str, when: dt.datetime, partner_ids, /, **payload):
        from pc_app.event_delivery import StoredEvent, store_and_queue
        from pc_app.events import Event, catalog, subscribers

        with self.app.app_context():
            catalog(self.app).get(name).check_payload(payload)
            event = Event(name=name, partner_ids=tuple(partner_ids), actor="system", payload=payload,
                          occurred_at=when)
            store_and_queue(event, subscribers(name, durable=True, app=self.app))
            # As if emitted at that time: the store keeps the emit time in epoch ms too.
            StoredEvent._get_collection().update_one({"_id": event.id},
                                                     {"$set": {"occurred_ms": int(when.timestamp() * 1000)}})
        self.emitted.append(event)
        return event

    def fold(self) -> int:
        return self.jobs.run()

    # marketplace
    def list(self, when, seller: str, price: int, industry: str | None = "saas") -> Listing:
        from pc_app.db import new_id

        listing = Listing(new_id(), new_id(), seller, price, industry, when)
        self.emit("marketplace.lead_listed", when, [seller], listingId=listing.id, leadId=listing.lead,
                  sellerPartnerId=seller, price=price, currency="usd", matchingPartnerIds=[], industry=industry,
                  listedAt=when.isoformat())
        return listing

    def delist(self, when, listing: Listing, reason="seller"):
        return self.emit("marketplace.lead_delisted", when, [listing.seller], listingId=listing.id,
                         leadId=listing.lead, reason=reason, industry=listing.industry, price=listing.price)

    def view(self, when, listing: Listing, viewer: str, first: bool):
        return self.emit("marketplace.lead_viewed", when, [listing.seller], listingId=listing.id, leadId=listing.lead,
                         viewerPartnerId=viewer, firstView=first)

    # payments (the contract)
    def _hold(self, listing: Listing, buyer: str, reservation: str) -> dict:
        return {"reservationId": reservation, "listingId": listing.id, "leadId": listing.lead,
                "buyerPartnerId": buyer, "sellerPartnerId": listing.seller}

    def reserve(self, when, listing: Listing, buyer: str) -> str:
        from pc_app.db import new_id

        reservation = new_id()
        self.emit("payments.lead_reserved", when, [buyer, listing.seller], **self._hold(listing, buyer, reservation),
                  price=listing.price, currency="usd", expiresAt=(when + dt.timedelta(days=7)).isoformat(),
                  industry=listing.industry)
        return reservation

    def extend(self, when, listing, buyer, reservation):
        return self.emit("payments.reservation_extended", when, [buyer, listing.seller],
                         **self._hold(listing, buyer, reservation), expiresAt=(when + dt.timedelta(days=14)).isoformat())

    def cancel(self, when, listing, buyer, reservation):
        return self.emit("payments.reservation_cancelled", when, [buyer, listing.seller],
                         **self._hold(listing, buyer, reservation))

    def expire(self, when, listing, buyer, reservation):
        return self.emit("payments.reservation_expired", when, [buyer, listing.seller],
                         **self._hold(listing, buyer, reservation))

    def purchase(self, when, listing: Listing, buyer: str, reservation: str, currency="usd") -> Purchase:
        from pc_app.db import new_id

        fee = listing.price * 20 // 100
        purchase = Purchase(new_id(), listing, buyer, listing.price, fee, listing.price - fee)
        self.emit("payments.purchase_succeeded", when, [buyer, listing.seller], purchaseId=purchase.id,
                  **self._hold(listing, buyer, reservation), buyerLeadId=new_id(), amount=purchase.amount,
                  platformFee=fee, sellerPayout=purchase.payout, currency=currency, industry=listing.industry,
                  listedAt=listing.listed_at.isoformat(), reservedAt=when.isoformat())
        return purchase

    def fail(self, when, listing, buyer, reservation):
        from pc_app.db import new_id

        return self.emit("payments.purchase_failed", when, [buyer], purchaseId=new_id(), reservationId=reservation,
                         listingId=listing.id, buyerPartnerId=buyer, declineCode="card_declined")

    def refund(self, when, purchase: Purchase, currency="usd"):
        listing = purchase.listing
        return self.emit("payments.purchase_refunded", when, [purchase.buyer, listing.seller],
                         purchaseId=purchase.id, listingId=listing.id, leadId=listing.lead,
                         buyerPartnerId=purchase.buyer, sellerPartnerId=listing.seller, amount=purchase.amount,
                         platformFee=purchase.fee, sellerPayout=purchase.payout, currency=currency,
                         industry=listing.industry, reason="requested_by_customer")

    # sync (the contract) and registration
    def synced(self, when, partner: str, created=0, updated=0, pulled=0, conflicts=0, errors=0):
        from pc_app.db import new_id

        return self.emit("sync.task_completed", when, [partner], taskId=new_id(), partnerId=partner, created=created,
                         updated=updated, pulled=pulled, conflicts=conflicts, errors=errors, trigger="manual")

    def registered(self, when, partner: str):
        from pc_app.db import new_id

        return self.emit("registration.partner_registered", when, [partner], partnerId=partner, userId=new_id(),
                         name="New Co", slug="new-co")

    def activated(self, when, partner: str):
        return self.emit("registration.partner_activated", when, [partner], partnerId=partner, **{"from": "onboarding"})


@pytest.fixture
def script(app, jobs, events) -> Script:
    return Script(app, jobs)


@pytest.fixture
def rollup(app):
    """``rollup(doc_id)``: one stored rollup's counters (bookkeeping fields dropped), {} when absent."""
    def read(doc_id: str) -> dict:
        from plugins.analytics.models import Rollup
        from plugins.analytics.services.reports import counters_of

        with app.app_context():
            doc = Rollup._get_collection().find_one({"_id": doc_id})
        return counters_of(doc) if doc else {}
    return read


def get_json(client, url: str, actor, **params):
    response = client.get(url, query_string=params, headers=actor.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@dataclass
class Week:
    """The scripted week of 2 to 8 November 2026 (Monday to Sunday), with activity on either side."""
    seller: object
    buyer: object        # B: two purchases, one of them refunded on Sunday, one failed payment
    other_buyer: object  # C: a cancelled hold, then an extended one it paid for


@pytest.fixture
def week(script, actors) -> Week:
    """Play the scripted week (see the hand-computed expectations in the report tests) and fold it."""
    seller = actors.partner_owner(name="Seller Co")
    b, c = actors.partner_owner(name="Buyer B"), actors.partner_owner(name="Buyer C")
    s_id, b_id, c_id = seller.partner_id, b.partner_id, c.partner_id
    # Before the week: listed on Sunday 1 November, sold on Monday 9 November (after it).
    l0 = script.list(at("2026-11-01", "18:00"), s_id, 7_000, industry="saas")
    # Monday
    l1 = script.list(at("2026-11-02", "09:00"), s_id, 10_000, industry="saas")
    l2 = script.list(at("2026-11-02", "09:30"), s_id, 20_000, industry="saas")
    l3 = script.list(at("2026-11-02", "10:00"), s_id, 5_000, industry="fintech")
    script.view(at("2026-11-02", "11:00"), l1, b_id, first=True)
    script.view(at("2026-11-02", "11:05"), l1, b_id, first=False)
    script.view(at("2026-11-02", "12:00"), l1, c_id, first=True)
    # Tuesday
    r1 = script.reserve(at("2026-11-03", "10:00"), l1, b_id)
    r2 = script.reserve(at("2026-11-03", "11:00"), l3, c_id)
    l4 = script.list(at("2026-11-03", "12:00"), s_id, 8_000, industry="fintech")
    # Wednesday: B buys L1 54.5 hours after it was listed; C lets L3 go; S delists L2.
    p1 = script.purchase(at("2026-11-04", "15:30"), l1, b_id, r1)
    script.cancel(at("2026-11-04", "16:00"), l3, c_id, r2)
    script.delist(at("2026-11-04", "17:00"), l2)
    # Thursday
    r3 = script.reserve(at("2026-11-05", "09:00"), l3, c_id)
    script.extend(at("2026-11-05", "10:00"), l3, c_id, r3)
    # Friday: C buys L3 96 hours after listing; B holds L4 and its card is declined.
    script.purchase(at("2026-11-06", "10:00"), l3, c_id, r3)
    r4 = script.reserve(at("2026-11-06", "11:00"), l4, b_id)
    script.fail(at("2026-11-06", "11:30"), l4, b_id, r4)
    # Saturday: B pays for L4, 102 hours after listing.
    script.purchase(at("2026-11-07", "18:00"), l4, b_id, r4)
    # Sunday: L1 is refunded; C's HubSpot sync ran.
    script.refund(at("2026-11-08", "20:00"), p1)
    script.synced(at("2026-11-08", "21:00"), c_id, created=2, updated=3, pulled=1)
    # After the week: B buys L0 (186 hours after listing).
    script.purchase(at("2026-11-09", "12:00"), l0, b_id, script.reserve(at("2026-11-09", "11:00"), l0, b_id))
    script.fold()
    return Week(seller, b, c)
