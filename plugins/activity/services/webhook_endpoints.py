"""Partners' webhook endpoints: register (secret shown once), list, delete, rotate the secret, enable, ping."""
from __future__ import annotations

from flask import current_app

from pc_app.toolkit import (Actor, Conflict, Invalid, NotFound, SealedFields, count_matching, iso_utc, iso_utc_ms,
                             new_id, secret_box, utcnow)

from ..models import WebhookDelivery, WebhookEndpoint
from . import feed, target_safety, webhook_signing

WILDCARD = "*"


def _context(endpoint_id: str, field: str) -> str:
    return f"activity_webhook_endpoints:{endpoint_id}:{field}"


# The signing secrets, current and previous (``pc-app rotate-keys`` reseals them with the current key).
SEALED_SECRETS = SealedFields("webhook endpoints", WebhookEndpoint, ("secret", "previous_secret"),
                              lambda endpoint, field: _context(endpoint.id, field))


def check_event_types(event_types: list[str]) -> list[str]:
    """Known event names, or ``*`` for every event; a 422 names each unknown one."""
    catalog = current_app.extensions["pc_events"]
    unknown = [name for name in event_types if name != WILDCARD and name not in catalog]
    if unknown:
        raise Invalid(errors={"eventTypes": [f"Unknown event type {name}." for name in unknown]})
    return list(dict.fromkeys(event_types))


def check_url(url: str) -> None:
    """The URL's shape, and under production rules its current addresses; a 422 names ``url``."""
    rules = target_safety.rules_for(current_app.config)
    try:
        target = target_safety.parse_target(url, rules)
        if rules == "production":
            target_safety.addresses_for(target, rules)
    except target_safety.TargetRefused as exc:
        raise Invalid("url", str(exc)) from None


def create_endpoint(partner_id: str, url: str, event_types: list[str], description: str, actor: Actor) -> tuple:
    """A new active endpoint and its signing secret (the only time the secret is shown)."""
    event_types = check_event_types(event_types)
    check_url(url)
    limit = current_app.config["WEBHOOKS_MAX_ENDPOINTS"]
    # A soft limit: two registrations racing may pass it by one, which harms nobody.
    if count_matching(WebhookEndpoint.objects(partner=partner_id)) >= limit:
        raise Conflict("endpointLimit", f"A partner may have at most {limit} webhook endpoints; delete one first.")
    endpoint_id = new_id()
    secret = webhook_signing.new_secret()
    endpoint = WebhookEndpoint(id=endpoint_id, partner=partner_id, url=url, event_types=event_types,
                               description=description or "", created_by=actor, created_ms=feed.now_ms(),
                               secret=secret_box().encrypt(secret, context=_context(endpoint_id, "secret")))
    endpoint.save(force_insert=True)
    return endpoint, secret


def endpoint_query(partner_id: str):
    """The partner's endpoints, oldest first (``created_ms``, then id: pages never overlap)."""
    return WebhookEndpoint.objects(partner=partner_id).order_by("created_ms", "id")


def get_endpoint(partner_id: str, endpoint_id: str) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects(id=endpoint_id, partner=partner_id).first()
    if endpoint is None:
        raise NotFound("webhook endpoint")
    return endpoint


def delete_endpoint(partner_id: str, endpoint_id: str) -> None:
    """The endpoint and its delivery log go; a delivery already running finds no endpoint and stops."""
    endpoint = get_endpoint(partner_id, endpoint_id)
    WebhookEndpoint.objects(id=endpoint.id).delete()
    WebhookDelivery.objects(partner=endpoint.partner, endpoint=endpoint.id).delete()


def rotate_secret(partner_id: str, endpoint_id: str) -> tuple:
    """A new secret; the old one keeps being honoured (both signatures sent) for the grace period.

    One conditional update on the current sealed secret: of two rotations racing, one wins and
    the other is a 409, so no secret is ever handed out that will not work.
    """
    endpoint = get_endpoint(partner_id, endpoint_id)
    box = secret_box()
    current = box.decrypt(endpoint.secret, context=_context(endpoint.id, "secret"))
    secret = webhook_signing.new_secret()
    grace_ms = int(current_app.config["WEBHOOKS_ROTATION_GRACE_HOURS"] * 3600 * 1000)
    changed = WebhookEndpoint._get_collection().update_one(
        {"_id": endpoint.id, "secret": endpoint.secret},
        {"$set": {"secret": box.encrypt(secret, context=_context(endpoint.id, "secret")),
                  "previous_secret": box.encrypt(current, context=_context(endpoint.id, "previous_secret")),
                  "previous_secret_until_ms": feed.now_ms() + grace_ms}})
    if changed.modified_count != 1:
        raise Conflict("secretRotated", "The secret was rotated by another request just now; use that one.")
    return get_endpoint(partner_id, endpoint_id), secret


def enable_endpoint(partner_id: str, endpoint_id: str) -> WebhookEndpoint:
    """Turn a disabled endpoint back on (after fixing the receiver); new events reach it again."""
    endpoint = get_endpoint(partner_id, endpoint_id)
    WebhookEndpoint._get_collection().update_one(
        {"_id": endpoint.id}, {"$set": {"status": "active", "disabled_reason": None, "disabled_at": None}})
    return get_endpoint(partner_id, endpoint_id)


def signing_secrets(endpoint: WebhookEndpoint, now_ms: int) -> list[str]:
    """The current secret, then the previous one while its grace period lasts."""
    box = secret_box()
    found = [box.decrypt(endpoint.secret, context=_context(endpoint.id, "secret"))]
    if endpoint.previous_secret and (endpoint.previous_secret_until_ms or 0) > now_ms:
        found.append(box.decrypt(endpoint.previous_secret, context=_context(endpoint.id, "previous_secret")))
    return found


def serialize(endpoint: WebhookEndpoint) -> dict:
    until = endpoint.previous_secret_until_ms
    rotation_ends = iso_utc_ms(until) if until and until > feed.now_ms() else None
    return {"id": str(endpoint.id), "url": endpoint.url, "description": endpoint.description or "",
            "eventTypes": list(endpoint.event_types), "status": endpoint.status,
            "disabledReason": endpoint.disabled_reason,
            "disabledAt": iso_utc(endpoint.disabled_at),
            "previousSecretValidUntil": rotation_ends,
            "createdAt": iso_utc(endpoint.created_at or utcnow())}
