"""Fixtures for the Stripe sandbox's own tests: a blank sandbox per test and the unmodified SDK pointed at it."""
from __future__ import annotations

import pytest


@pytest.fixture
def sandbox(stripe_sandbox):
    """The session's Stripe sandbox, reset to nothing (settings as at start) before the test."""
    stripe_sandbox.reset()
    return stripe_sandbox


@pytest.fixture
def stripe_client(sandbox):
    """``stripe.StripeClient`` on the sandbox, without network retries (each call is one request)."""
    return sandbox.client()


@pytest.fixture
def seller(sandbox) -> str:
    """An onboarded Express account: a destination that can receive transfers."""
    return sandbox.connected_account()


def pay(client, destination: str, amount: int = 10000, fee: int = 2000, card: str = "pm_card_visa", **params):
    """A confirmed destination charge: ``amount`` cents to ``destination`` with ``fee`` to the platform."""
    return client.v1.payment_intents.create({
        "amount": amount, "currency": "usd", "payment_method": card, "confirm": True,
        "application_fee_amount": fee, "transfer_data": {"destination": destination}, **params})
