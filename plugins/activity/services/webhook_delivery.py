"""Sending webhooks: one delivery per endpoint and event, attempts on the ``webhooks`` queue, retries for a day.

Each attempt is claimed with a conditional update on its attempt number (two workers never send
the same attempt), resolves the endpoint's host and checks every address under the target rules,
then connects to exactly the checked address (TLS still verifies the host name), sends the
stored body with a fresh signature, never follows a redirect and gives up after
``WEBHOOKS_TIMEOUT_SECONDS`` per connect or read. A non-2xx answer or a network error is
retried with exponential backoff and jitter until ``WEBHOOKS_RETRY_WINDOW_SECONDS`` after the
first attempt; a delivery still failing then disables its endpoint, and the partner's owners
hear about it by activity and e-mail (the ``activity.webhook_disabled`` event).
"""
from __future__ import annotations

import datetime as dt
import http.client
import logging
import random
import socket
import ssl
import time

from flask import current_app
from pymongo.errors import DuplicateKeyError

from pc_app.toolkit import SYSTEM, NotFound, count_webhook_delivery, emit, enqueue, iso_utc, iso_utc_ms, new_id, utcnow

from ..models import WebhookDelivery, WebhookEndpoint
from . import feed, target_safety, webhook_endpoints, webhook_signing

log = logging.getLogger("plugins.activity.webhooks")

RESPONSE_BODY_CHARS = 1024
LEASE_MS = 60_000
MAX_DELAY_S = 6 * 3600
USER_AGENT = "PartnerConnector-Webhooks/1.0"


def endpoints_for(partner_id: str, type_name: str) -> list:
    return [endpoint for endpoint in WebhookEndpoint.objects(partner=partner_id, status="active")
            if webhook_endpoints.WILDCARD in endpoint.event_types or type_name in endpoint.event_types]


def queue_event(event, partner_id: str, data: dict) -> int:
    """One delivery per subscribed active endpoint of the partner; repeated calls create none twice."""
    created = 0
    occurred = event.occurred_at.isoformat(timespec="milliseconds")
    for endpoint in endpoints_for(partner_id, event.name):
        delivery_id = new_id()
        try:
            WebhookDelivery._get_collection().insert_one({
                "_id": delivery_id, "endpoint": str(endpoint.id), "partner": partner_id,
                "dedupe_key": f"{endpoint.id}:{event.id}", "event_id": event.id, "event_type": event.name,
                "body": webhook_signing.body_of(event.id, event.name, occurred, data), "status": "pending",
                "attempts": 0, "next_attempt_ms": feed.now_ms(), "is_ping": False, "created_at": utcnow(),
                "created_ms": feed.now_ms()})
        except DuplicateKeyError:
            continue
        enqueue_attempt(delivery_id)
        created += 1
    return created


def queue_ping(endpoint) -> WebhookDelivery:
    """A ``ping`` delivery to one endpoint, sent whatever its status (to check a fixed receiver)."""
    now = feed.now_ms()
    event_id = new_id()
    delivery = WebhookDelivery(id=new_id(), endpoint=str(endpoint.id), partner=endpoint.partner, event_id=event_id,
                               event_type="ping", is_ping=True, next_attempt_ms=now, created_ms=now,
                               body=webhook_signing.body_of(event_id, "ping", iso_utc_ms(now),
                                                            {"endpointId": str(endpoint.id)}))
    delivery.save(force_insert=True)
    enqueue_attempt(delivery.id)
    return delivery


def redeliver(partner_id: str, endpoint_id: str, delivery_id: str) -> WebhookDelivery:
    """Send a past delivery's exact body again as a new delivery (same event id, new delivery id)."""
    endpoint = webhook_endpoints.get_endpoint(partner_id, endpoint_id)
    original = WebhookDelivery.objects(id=delivery_id, endpoint=str(endpoint.id)).first()
    if original is None:
        raise NotFound("webhook delivery")
    now = feed.now_ms()
    copy = WebhookDelivery(id=new_id(), endpoint=str(endpoint.id), partner=endpoint.partner,
                           event_id=original.event_id, event_type=original.event_type, body=original.body,
                           is_ping=original.is_ping, redelivery_of=str(original.id), next_attempt_ms=now,
                           created_ms=now)
    copy.save(force_insert=True)
    enqueue_attempt(copy.id)
    return copy


def enqueue_attempt(delivery_id: str, at: dt.datetime | None = None) -> None:
    try:
        enqueue("plugins.activity.jobs.deliver_webhook", str(delivery_id), queue="webhooks", at=at,
                timeout=int(current_app.config["WEBHOOKS_TIMEOUT_SECONDS"] * 3) + 30, result_ttl=0)
    except Exception:
        # Redis is down: the delivery is stored as pending, so the retry sweep sends it later.
        log.warning("could not queue webhook delivery %s; the retry sweep will", delivery_id)


def backoff_seconds(attempts: int) -> float:
    """base, 2 × base, 4 × base … capped at six hours, each ±20 % so failed receivers are not hit in step."""
    base = float(current_app.config["WEBHOOKS_RETRY_BASE_SECONDS"])
    return min(base * 2 ** max(attempts - 1, 0), MAX_DELAY_S) * random.uniform(0.8, 1.2)


def _claimable(doc: dict, now: int) -> bool:
    if doc.get("status") == "pending":
        return int(doc.get("next_attempt_ms") or 0) <= now
    if doc.get("status") == "sending":
        return int(doc.get("lease_ms") or 0) <= now  # its worker died mid-attempt
    return False


def claim_attempt(doc: dict) -> bool:
    """Take the next attempt of a delivery as read in ``doc``; False when it is not due or someone took it.

    The update is conditional on the attempt number and status that were read, so of two workers
    holding the same read, exactly one wins.
    """
    now = feed.now_ms()
    if not _claimable(doc, now):
        return False
    attempts = int(doc.get("attempts") or 0)
    claimed = WebhookDelivery._get_collection().update_one(
        {"_id": doc["_id"], "partner": doc.get("partner"), "attempts": attempts, "status": doc["status"]},
        {"$set": {"status": "sending", "attempts": attempts + 1, "lease_ms": now + LEASE_MS,
                  "first_attempt_ms": int(doc.get("first_attempt_ms") or now)}})
    return claimed.modified_count == 1


# An attempt's outcome as /metrics counts it (pc_webhook_deliveries_total{webhook="partner"}).
_COUNTED_AS = {"succeeded": "delivered", "retry": "retrying", "failed": "failed"}


def attempt_delivery(delivery_id: str) -> str | None:
    """Job body: one attempt of one delivery; returns its outcome (``succeeded``, ``retry``, ``failed``) or None."""
    outcome = _attempt(delivery_id)
    if outcome is not None:
        count_webhook_delivery("partner", _COUNTED_AS[outcome])
    return outcome


def _attempt(delivery_id: str) -> str | None:
    collection = WebhookDelivery._get_collection()
    doc = collection.find_one({"_id": delivery_id})
    if doc is None or not claim_attempt(doc):
        return None  # not due, finished, or another worker has it
    # Every write below names the delivery's partner: only that partner's kept delivery list ends.
    partner = doc.get("partner")
    attempts = int(doc.get("attempts") or 0)
    first_ms = int(doc.get("first_attempt_ms") or feed.now_ms())
    endpoint = WebhookEndpoint.objects(id=doc["endpoint"]).first()
    if endpoint is None or (endpoint.status != "active" and not doc.get("is_ping")):
        _finish(delivery_id, partner, attempts + 1, "failed", error="The endpoint was deleted or disabled.")
        return "failed"
    outcome = send(endpoint, doc["body"], doc["event_type"], delivery_id)
    if outcome["ok"]:
        _finish(delivery_id, partner, attempts + 1, "succeeded", **outcome["record"])
        return "succeeded"
    delay = backoff_seconds(attempts + 1)
    window_ms = int(current_app.config["WEBHOOKS_RETRY_WINDOW_SECONDS"] * 1000)
    if feed.now_ms() + delay * 1000 - first_ms > window_ms:
        _finish(delivery_id, partner, attempts + 1, "failed", **outcome["record"])
        if not doc.get("is_ping") and not doc.get("redelivery_of"):
            disable_endpoint(endpoint, outcome["record"].get("error") or
                             f"the receiver answered {outcome['record'].get('response_code')}")
        return "failed"
    next_ms = feed.now_ms() + int(delay * 1000)
    collection.update_one({"_id": delivery_id, "partner": partner, "attempts": attempts + 1, "status": "sending"},
                          {"$set": {"status": "pending", "next_attempt_ms": next_ms, "lease_ms": None,
                                    **outcome["record"]}})
    enqueue_attempt(delivery_id, at=dt.datetime.fromtimestamp(next_ms / 1000, dt.timezone.utc))
    return "retry"


def _finish(delivery_id: str, partner: str | None, attempts: int, status: str, **record) -> None:
    WebhookDelivery._get_collection().update_one(
        {"_id": delivery_id, "partner": partner, "attempts": attempts, "status": "sending"},
        {"$set": {"status": status, "next_attempt_ms": None, "lease_ms": None, "completed_at": utcnow(), **record}})


def disable_endpoint(endpoint, reason: str) -> bool:
    """Active → disabled, once; the winner tells the partner's owners (activity and e-mail)."""
    changed = WebhookEndpoint._get_collection().update_one(
        {"_id": str(endpoint.id), "status": "active"},
        {"$set": {"status": "disabled", "disabled_reason": reason[:300], "disabled_at": utcnow()}})
    if changed.modified_count != 1:
        return False
    emit("activity.webhook_disabled", partner_ids=[endpoint.partner], actor=SYSTEM,
         payload={"endpointId": str(endpoint.id), "url": endpoint.url, "reason": reason[:300]})
    return True


def _connection(target, address: str, timeout: float):
    if target.scheme == "https":
        conn = http.client.HTTPSConnection(target.host, target.port, timeout=timeout,
                                           context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    # http.client opens its socket through this attribute; the TLS layer still checks target.host.
    conn._create_connection = (lambda addr, t=None, src=None:
                               socket.create_connection((address, addr[1]), t, src))
    return conn


def send(endpoint, body: str, event_type: str, delivery_id: str) -> dict:
    """One HTTP POST; ``{"ok", "record"}`` where record holds what the delivery log shows."""
    rules = target_safety.rules_for(current_app.config)
    timeout = float(current_app.config["WEBHOOKS_TIMEOUT_SECONDS"])
    started = time.monotonic()
    try:
        target = target_safety.parse_target(endpoint.url, rules)
        addresses = target_safety.addresses_for(target, rules)
    except target_safety.TargetRefused as exc:
        return {"ok": False, "record": {"error": f"Refused: {exc}", "response_code": None, "latency_ms": 0,
                                        "response_body": None}}
    timestamp = int(time.time())
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, "X-PC-Event": event_type,
               "X-PC-Delivery": str(delivery_id),
               "X-PC-Signature": webhook_signing.signature_header(
                   webhook_endpoints.signing_secrets(endpoint, feed.now_ms()), timestamp, body)}
    last_error = "no address answered"
    for address in addresses:
        conn = _connection(target, address, timeout)
        try:
            conn.request("POST", target.path, body=body.encode(), headers=headers)
            response = conn.getresponse()
            text = response.read(RESPONSE_BODY_CHARS * 4).decode("utf-8", "replace")[:RESPONSE_BODY_CHARS]
            latency = int((time.monotonic() - started) * 1000)
            ok = 200 <= response.status < 300
            return {"ok": ok, "record": {"response_code": response.status, "response_body": text,
                                         "latency_ms": latency,
                                         "error": None if ok else _status_error(response.status)}}
        except (OSError, http.client.HTTPException) as exc:
            last_error = f"{type(exc).__name__}: {exc}"[:300]
        finally:
            conn.close()
    return {"ok": False, "record": {"error": last_error, "response_code": None, "response_body": None,
                                    "latency_ms": int((time.monotonic() - started) * 1000)}}


def _status_error(status: int) -> str:
    if 300 <= status < 400:
        return f"The receiver answered {status} (a redirect); webhooks do not follow redirects."
    return f"The receiver answered {status}."


def sweep_due_deliveries(limit: int = 1000) -> int:
    """Queue every pending delivery that is due (and any whose worker died): Redis may have lost its job."""
    now = feed.now_ms()
    queued = 0
    for doc in WebhookDelivery._get_collection().find(
            {"status": {"$in": ["pending", "sending"]}}, {"status": 1, "next_attempt_ms": 1, "lease_ms": 1}
    ).limit(limit):
        if _claimable(doc, now):
            enqueue_attempt(str(doc["_id"]))
            queued += 1
    return queued


def serialize(doc) -> dict:
    def iso(ms):
        return iso_utc_ms(int(ms)) if ms else None

    status = doc.status
    return {"id": str(doc.id), "endpointId": doc.endpoint, "eventId": doc.event_id, "type": doc.event_type,
            "status": "retrying" if status == "pending" and doc.attempts else status,
            "attempts": doc.attempts, "responseCode": doc.response_code, "latencyMs": doc.latency_ms,
            "responseBody": doc.response_body, "error": doc.error,
            "nextRetryAt": iso(doc.next_attempt_ms) if status == "pending" and doc.attempts else None,
            "redeliveryOf": doc.redelivery_of, "createdAt": iso(doc.created_ms),
            "completedAt": iso_utc(doc.completed_at)}
