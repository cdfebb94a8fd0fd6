"""Fixtures of the payments tests: the marketplace and payments plugins on the Stripe sandbox, and shop verbs."""
from __future__ import annotations

import datetime as dt
import time

import pytest

from pc_app.testing import EVENT_RECORDER

FULL_ICP = {"industries": ["saas"], "company_sizes": ["51-200"], "countries": ["US"],
            "job_titles": ["sales"], "seniorities": ["vp"]}


@pytest.fixture
def app_config(app_config, stripe_sandbox):
    # Only marketplace and payments (and the event recorder): other plugins' work cannot change what we see.
    return {**app_config, **stripe_sandbox.app_settings,
            "PC_PLUGINS": ["marketplace", "payments", "event_recorder"], "PC_EXTRA_PLUGINS": dict(EVENT_RECORDER),
            "STRIPE_TIMEOUT_SECONDS": 2.0, "STRIPE_MAX_NETWORK_RETRIES": 1}


@pytest.fixture
def stripe(stripe_sandbox):
    """The Stripe sandbox, blank for this test."""
    stripe_sandbox.reset()
    return stripe_sandbox


class Shop:
    """The verbs the payments tests repeat: onboard a seller, list, reserve, buy, deliver Stripe's webhooks."""

    def __init__(self, app, client, stripe, actors):
        self.app, self.client, self.stripe, self.actors = app, client, stripe, actors
        self._n = 0

    # --- people -------------------------------------------------------------------------------
    def seller(self, onboarded: bool = True, **partner_kwargs):
        """A partner owner whose payouts are enabled through the real onboarding link (unless told otherwise)."""
        actor = self.actors.partner_owner(**partner_kwargs)
        if onboarded:
            self.onboard(actor)
        return actor

    def onboard(self, actor) -> str:
        response = self.client.post("/v1/payments/connect/onboarding", headers=actor.headers)
        assert response.status_code == 200, response.get_json()
        account = self.status(actor)["accountId"]
        self.stripe.admin.complete_onboarding(account)
        self.deliver()
        return account

    def status(self, actor) -> dict:
        response = self.client.get("/v1/payments/connect/status", headers=actor.headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def buyer(self, **partner_kwargs):
        return self.actors.partner_owner(icp=FULL_ICP, **partner_kwargs)

    # --- leads and listings --------------------------------------------------------------------
    def lead(self, actor, **fields) -> str:
        self._n += 1
        body = {"firstName": "Jane", "lastName": "Doe", "email": f"lead{self._n}@example.com",
                "phone": "+14155550123", "company": "Acme", "jobTitle": "VP of Sales", "seniority": "vp",
                "industry": "saas", "companySize": "51-200", "country": "US", **fields}
        response = self.client.post("/v1/leads", json=body, headers=actor.headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    def listed(self, seller, price: int = 10000, **fields) -> dict:
        lead_id = self.lead(seller, **fields)
        response = self.client.post(f"/v1/marketplace/leads/{lead_id}/list", json={"price": price},
                                    headers=seller.headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    # --- reservations and purchases -------------------------------------------------------------
    def reserve(self, buyer, lead_id: str):
        return self.client.post(f"/v1/marketplace/leads/{lead_id}/reserve", headers=buyer.headers)

    def reserved(self, buyer, listing: dict) -> dict:
        response = self.reserve(buyer, listing["leadId"])
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def buy(self, buyer, reservation_id: str, payment_method: str = "pm_card_visa", key: str | None = None,
            client=None):
        headers = dict(buyer.headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        return (client or self.client).post("/v1/marketplace/purchases", headers=headers,
                                            json={"reservationId": reservation_id, "paymentMethodId": payment_method})

    def bought(self, buyer, listing: dict, payment_method: str = "pm_card_visa") -> dict:
        reservation = self.reserved(buyer, listing)
        response = self.buy(buyer, reservation["id"], payment_method)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def deliver(self, order: str = "created") -> list:
        """Hand every webhook the sandbox recorded to the app; each must be accepted."""
        answers = self.stripe.deliver_webhooks(self.client, order=order)
        for event_type, response in answers:
            assert response.status_code == 200, (event_type, response.get_json())
        return answers

    def intents(self) -> list:
        """Every PaymentIntent the sandbox holds, newest first."""
        return list(self.stripe.client().v1.payment_intents.list({"limit": 100}).data)

    @staticmethod
    def wait_past(reservation: dict) -> None:
        """Sleep until the reservation's ``expiresAt`` has passed."""
        ends = dt.datetime.fromisoformat(reservation["expiresAt"])
        time.sleep(max((ends - dt.datetime.now(dt.timezone.utc)).total_seconds(), 0) + 0.05)

    def run_in_app(self, func, *args):
        with self.app.app_context():
            return func(*args)


@pytest.fixture
def shop(app, client, stripe, actors, events) -> Shop:
    return Shop(app, client, stripe, actors)


@pytest.fixture
def seller(shop):
    return shop.seller(name="Seller Co")


@pytest.fixture
def buyer(shop):
    return shop.buyer(name="Buyer Co")
