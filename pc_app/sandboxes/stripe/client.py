"""``StripeAdmin``: steer the Stripe sandbox over its ``/_sandbox`` admin API."""
from __future__ import annotations

from ..kit import AdminClient


class StripeAdmin(AdminClient):
    """The kit's admin calls (faults scoped by ``account``: the ``Stripe-Account`` header) plus Stripe's own."""

    scope_param = "account"

    def complete_onboarding(self, account: str) -> dict:
        """What opening the account link does: the account can take charges and payouts."""
        return self._call("POST", f"/accounts/{account}/complete-onboarding")

    def set_requirements(self, account: str, state: str, fields: list[str] | None = None) -> dict:
        """``complete``, ``incomplete`` (more is due, nothing disabled yet) or ``restricted`` (disabled)."""
        return self._call("POST", f"/accounts/{account}/requirements", json={"state": state, "fields": fields})

    def authenticate(self, payment_intent: str, succeed: bool = True) -> dict:
        """Pass (or fail) the 3-D Secure challenge of a PaymentIntent that requires action."""
        return self._call("POST", f"/payment_intents/{payment_intent}/authenticate", json={"succeed": succeed})

    def balances(self) -> dict:
        """``{"platform": id, "accounts": {id: {"available": {currency: cents}, "transactions": [...]}}}``."""
        return self._call("GET", "/balances")

    def available(self, account: str, currency: str = "usd") -> int:
        """An account's available balance in cents."""
        return self.balances()["accounts"].get(account, {}).get("available", {}).get(currency, 0)

    def idempotency_keys(self) -> list[dict]:
        """Keys seen (``key``, ``account``, ``path``, ``running``: its first request still executes)."""
        return self._call("GET", "/idempotency")["keys"]

    def deliver_event(self, event: str, times: int = 1, endpoint: str | None = None) -> int:
        """Deliver an event again (``times=2``: twice more), to every endpoint or the one named."""
        return self._call("POST", f"/events/{event}/deliver", json={"times": times, "endpoint": endpoint})["deliveries"]

    def deliver_events(self, events: list[str], order: str = "reversed") -> list[str]:
        """Deliver these events again, ``reversed`` (out of order) or as ``created``."""
        return self._call("POST", "/events/deliver", json={"events": events, "order": order})["delivered"]

    def hold_webhooks(self) -> None:
        """Keep new events' deliveries until ``release_webhooks``."""
        self.configure(webhookHold=True)

    def release_webhooks(self, order: str = "created") -> list[str]:
        """Deliver the held events in ``order``: ``created``, ``reversed`` or ``shuffled``."""
        return self._call("POST", "/webhooks/release", json={"order": order})["delivered"]

    def signed_deliveries(self, **labels) -> list[dict]:
        """Deliveries made or recorded (``event``, ``type``, ``endpoint``, ``url``, ``body``, ``headers`` with
        ``Stripe-Signature``), oldest first; filter by ``event``, ``type`` or ``endpoint``."""
        return self.webhook_deliveries(**labels)
