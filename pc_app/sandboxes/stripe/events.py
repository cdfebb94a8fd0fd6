"""Events: every state change becomes an Event, delivered to the webhook endpoints with ``Stripe-Signature``."""
from __future__ import annotations

import copy
import hashlib
import hmac
import json
import random
import time

from flask import g, has_request_context, request

from .objects import new_id, now
from .state import DEFAULT_API_VERSION, StripeState

CONFIGURED_ENDPOINT = "we_configured"  # the endpoint given at start (--webhook-url), not listed by the API
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


def signature_header(secret: str, payload: bytes, timestamp: int | None = None) -> str:
    """Stripe's ``t=<unix time>,v1=<HMAC-SHA256 of "t.payload" keyed with the whole whsec_ secret>``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    return f"t={timestamp},v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"


def emit(state: StripeState, event_type: str, obj: dict, previous: dict | None = None,
         account: str | None = None) -> dict:
    """Record the event (``data.object`` is a snapshot of ``obj``) and deliver it, unless deliveries are held."""
    data = {"object": copy.deepcopy(obj)}
    if previous:
        data["previous_attributes"] = previous
    in_request = has_request_context()
    event = {"id": new_id("evt"), "object": "event",
             "api_version": (request.headers.get("Stripe-Version") if in_request else None) or DEFAULT_API_VERSION,
             "created": now(), "data": data, "livemode": False, "pending_webhooks": 0,
             "request": {"id": g.get("request_id") if in_request else None,
                         "idempotency_key": request.headers.get("Idempotency-Key") if in_request else None},
             "type": event_type}
    if account:
        event["account"] = account
    state.add(event)
    if state.settings.webhook_hold:
        state.held_events.append(event["id"])
    else:
        deliver(state, event)
    return event


def changed_fields(before: dict, after: dict) -> dict:
    """``previous_attributes``: the old values of the top-level fields that changed."""
    return {key: copy.deepcopy(value) for key, value in before.items() if after.get(key) != value}


def endpoints_for(state: StripeState, event: dict) -> list[tuple[str, str, str, str]]:
    """``(endpoint id, url, secret, mode)`` of every endpoint that takes this event."""
    targets = []
    settings = state.settings
    if settings.webhook_url:
        targets.append((CONFIGURED_ENDPOINT, settings.webhook_url, settings.webhook_secret, settings.webhook_mode))
    for endpoint in state.all_of("webhook_endpoint", newest_first=False):
        if endpoint["status"] != "enabled":
            continue
        enabled = endpoint["enabled_events"]
        if "*" not in enabled and event["type"] not in enabled:
            continue
        is_connect = bool(state.private_of(endpoint["id"]).get("connect"))
        if is_connect != ("account" in event):  # Connect endpoints get connected accounts' events only
            continue
        targets.append((endpoint["id"], endpoint["url"], state.private_of(endpoint["id"])["secret"], "send"))
    return targets


def deliver(state: StripeState, event: dict, *, endpoint: str | None = None, times: int = 1) -> int:
    """Queue the event to every endpoint (or the one named) ``times`` times; returns how many deliveries."""
    body = json.dumps(event, indent=2).encode()
    count = 0
    for endpoint_id, url, secret, mode in endpoints_for(state, event):
        if endpoint is not None and endpoint_id != endpoint:
            continue
        for _ in range(times):
            state.webhooks.send(url, body, _signer(secret), meta={"event": event["id"], "type": event["type"],
                                                                  "endpoint": endpoint_id}, mode=mode)
            count += 1
    event["pending_webhooks"] = count
    return count


def release_held(state: StripeState, order: str = "created") -> list[str]:
    """Deliver the held events: in the order they happened, ``reversed``, or ``shuffled``."""
    held, state.held_events = state.held_events, []
    if order == "reversed":
        held.reverse()
    elif order == "shuffled":
        random.shuffle(held)
    for event_id in held:
        deliver(state, state.objects[event_id])
    return held


def _signer(secret: str):
    def sign(body: bytes) -> dict:
        return {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
                "Stripe-Signature": signature_header(secret, body)}
    return sign
