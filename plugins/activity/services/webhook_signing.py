"""Webhook bodies and signatures: ``X-PC-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``."""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def body_of(delivery_event_id: str, type_name: str, created_at_iso: str, data: dict) -> str:
    """The exact bytes every attempt sends: ``{id, type, createdAt, data}``."""
    return json.dumps({"id": delivery_event_id, "type": type_name, "createdAt": created_at_iso, "data": data},
                      separators=(",", ":"), sort_keys=False)


def signature(secret: str, timestamp: int, body: str) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()


def signature_header(signing_secrets: list[str], timestamp: int, body: str) -> str:
    """``t=…,v1=…`` with one ``v1`` per valid secret (two while a rotated secret is still honoured)."""
    return ",".join([f"t={timestamp}", *(f"v1={signature(s, timestamp, body)}" for s in signing_secrets)])
