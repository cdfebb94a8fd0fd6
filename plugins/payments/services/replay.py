"""A client's ``Idempotency-Key``: the first answer is replayed for the same body, another body is a 409.

Keys are scoped by partner and kept 24 hours. The first request records the key (a unique
insert) before it works; a second one with the same key and body waits for that answer and
replays it (with `Idempotent-Replayed: true`), or gets a 409 while it still runs. Answers of 5xx (Stripe
down) and "not now" answers (409 `paymentInProgress`) are not kept,
so the client retries with the same key and the purchase resumes where it stopped.
"""
from __future__ import annotations

import hashlib
import json
import time

from mongoengine.errors import NotUniqueError

from pc_app.toolkit import Conflict, Invalid, ServiceError, error_body

from ..models import ReplayedAnswer

WAIT_SECONDS = 15
KEY_HEADER = "Idempotency-Key"
# Answers that say "not now" rather than what happened: never replayed, the key is given back.
TRANSIENT_RULES = ("paymentInProgress", "refundInProgress")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def check_key(key: str) -> str:
    """:raises Invalid: a key that is empty, longer than 255 characters or not printable ASCII."""
    if not 1 <= len(key) <= 255 or not all(32 < ord(ch) < 127 for ch in key):
        raise Invalid(KEY_HEADER, "An Idempotency-Key is 1 to 255 printable characters without spaces.")
    return key


def begin(partner_id: str, key: str, body: dict) -> tuple[str, dict | None]:
    """Record the key for this request; returns ``(record id, None)`` to go on, or ``(id, answer)`` to replay.

    :raises Conflict: ``idempotencyKey`` for another body, ``idempotencyKeyInUse`` while the first runs.
    """
    record_id = _digest(f"{partner_id}:{check_key(key)}")
    body_hash = _digest(json.dumps(body, sort_keys=True, default=str))
    try:
        ReplayedAnswer(id=record_id, body_hash=body_hash).save(force_insert=True)
        return record_id, None
    except NotUniqueError:
        pass
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        stored = ReplayedAnswer.objects(id=record_id).first()
        if stored is None:  # the first request failed upstream and gave the key back: go on as first
            try:
                ReplayedAnswer(id=record_id, body_hash=body_hash).save(force_insert=True)
                return record_id, None
            except NotUniqueError:
                continue
        if stored.body_hash != body_hash:
            raise Conflict("idempotencyKey", "This Idempotency-Key was already used with another request body; "
                                             "use a new key for a new request.")
        if stored.status is not None:
            return record_id, {"status": stored.status, "body": stored.body}
        if time.monotonic() > deadline:
            raise Conflict("idempotencyKeyInUse", "A request with this Idempotency-Key is still being processed; "
                                                  "try again in a moment.")
        time.sleep(0.05)


def finish(record_id: str, status: int, body: dict) -> None:
    """Keep the answer for replay; an upstream failure (5xx) gives the key back instead."""
    if status >= 500:
        ReplayedAnswer.objects(id=record_id, status=None).delete()
    else:
        ReplayedAnswer.objects(id=record_id).update_one(set__status=status, set__body=body)


def run(partner_id: str, key: str | None, body: dict, work) -> tuple[int, dict, bool]:
    """``work()`` → ``(status, body)``, once per key and body; without a key it simply runs.

    Returns ``(status, body, replayed)``; ``replayed`` is True when the answer is the stored one.

    A service error is kept as its answer in the error shape (a declined card replays as the
    same 402), then raised again for the core to answer; anything else gives the key back.
    """
    if key is None:
        return (*work(), False)
    record_id, stored = begin(partner_id, key, body)
    if stored is not None:
        return stored["status"], stored["body"], True
    try:
        status, answer = work()
    except ServiceError as exc:
        if getattr(exc, "rule", None) in TRANSIENT_RULES:
            ReplayedAnswer.objects(id=record_id, status=None).delete()
        else:
            finish(record_id, exc.status, error_body(exc.status, exc.message, exc.errors))
        raise
    except BaseException:
        ReplayedAnswer.objects(id=record_id, status=None).delete()
        raise
    finish(record_id, status, answer)
    return status, answer, False
