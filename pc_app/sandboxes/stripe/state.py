"""In-memory state of the Stripe sandbox: every object by id, what only the sandbox knows, and the settings.

Objects are kept exactly as Stripe answers them (JSON-ready dicts), so the snapshot is the data
itself. Everything changes under the one lock of ``StandInState``.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

from ..kit import KitSettings, StandInState, stand_in_state
from .errors import no_such
from .objects import now

DEFAULT_SECRET_KEY = "sk_test_pcsandbox_devOnlyNotARealStripeKey0000000000"
DEFAULT_WEBHOOK_SECRET = "whsec_pcsandbox_devOnlyNotARealStripeSecret000"
PLATFORM_ACCOUNT = "acct_1PcSandboxPlatform"
DEFAULT_API_VERSION = "2026-10-28.endive"

@dataclass
class StripeSettings(KitSettings):
    """Knobs the admin API can change at run time (``PATCH /_sandbox/config``)."""
    secret_key: str = DEFAULT_SECRET_KEY
    webhook_url: str = ""  # an endpoint configured at start, beside those created through the API
    webhook_secret: str = DEFAULT_WEBHOOK_SECRET
    webhook_mode: str = "send"  # "record": sign and keep deliveries to webhook_url without sending them
    webhook_hold: bool = False  # keep new events' deliveries until POST /_sandbox/webhooks/release
    account_link_ttl: int = 300
    idempotency_in_flight: str = "wait"  # "conflict": Stripe's 409 idempotency_key_in_use instead of waiting

    FIELDS = {"webhookUrl": ("webhook_url", str), "webhookSecret": ("webhook_secret", str),
              "webhookMode": ("webhook_mode", str), "webhookHold": ("webhook_hold", bool),
              "accountLinkTtlSeconds": ("account_link_ttl", int),
              "idempotencyInFlight": ("idempotency_in_flight", str), **KitSettings.FIELDS}
    SECRET_FIELDS = ("webhookSecret",)
    CHOICES = {"webhook_mode": ("send", "record"), "idempotency_in_flight": ("wait", "conflict")}

    def change(self, values: dict) -> str:
        for name, value in values.items():
            attr = self.FIELDS.get(name, (None,))[0]
            if attr in self.CHOICES and value not in self.CHOICES[attr]:
                return f"{name} must be one of {', '.join(self.CHOICES[attr])}."
        return super().change(values)

    def as_dict(self) -> dict:
        return {"platformAccount": PLATFORM_ACCOUNT, **super().as_dict()}


class StripeState(StandInState):
    """All objects of one sandbox process; read and change them with ``lock`` held."""

    settings: StripeSettings

    def reset_data(self) -> None:
        self.objects: dict[str, dict] = {}
        self.kinds: dict[str, list[str]] = {}  # object type → ids, oldest first
        self.private: dict[str, dict] = {}  # id → what only the sandbox knows (a txn's account, a secret)
        self.tokens: dict[str, dict] = {}  # browser URL token → {"kind", "id", ...}
        self.held_events: list[str] = []
        self.idempotency: dict[tuple, dict] = {}
        self.add(platform_account())

    def snapshot(self) -> dict:
        return {"objects": self.objects, "kinds": self.kinds, "private": self.private, "tokens": self.tokens,
                "heldEvents": self.held_events}

    def restore(self, data: dict) -> None:
        with self.lock:
            self.objects = data.get("objects", {})
            self.kinds = data.get("kinds", {})
            self.private = data.get("private", {})
            self.tokens = data.get("tokens", {})
            self.held_events = data.get("heldEvents", [])

    # --- objects ------------------------------------------------------------------------------

    def add(self, obj: dict, **private) -> dict:
        """Keep a new object (and what only the sandbox knows of it)."""
        self.objects[obj["id"]] = obj
        self.kinds.setdefault(obj["object"], []).append(obj["id"])
        if private:
            self.private[obj["id"]] = private
        return obj

    def find(self, object_id) -> dict | None:
        return self.objects.get(object_id) if isinstance(object_id, str) else None

    def get(self, kind: str, object_id, param: str | None = None) -> dict:
        """The object of that kind, or Stripe's 404 "No such <kind>"."""
        obj = self.find(object_id)
        if obj is None or obj["object"] != kind:
            raise no_such(kind, str(object_id), param)
        return obj

    def all_of(self, kind: str, newest_first: bool = True) -> list[dict]:
        ids = self.kinds.get(kind, [])
        objects = [self.objects[i] for i in ids if i in self.objects]
        return list(reversed(objects)) if newest_first else objects

    def private_of(self, object_id: str) -> dict:
        return self.private.setdefault(object_id, {})

    def view(self, object_id: str) -> dict:
        return copy.deepcopy(self.objects[object_id])


def platform_account() -> dict:
    """The platform's own account: the one the secret key belongs to."""
    return {"id": PLATFORM_ACCOUNT, "object": "account", "business_profile": {"name": "Partner Connector (sandbox)"},
            "business_type": "company", "capabilities": {"card_payments": "active", "transfers": "active"},
            "charges_enabled": True, "controller": None, "country": "US", "created": now(),
            "default_currency": "usd", "details_submitted": True, "email": "platform@sandbox.invalid",
            "metadata": {}, "payouts_enabled": True, "type": "standard"}


def sandbox_state() -> StripeState:
    """The state of the sandbox handling the current request."""
    return stand_in_state()

