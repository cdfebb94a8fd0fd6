"""``Idempotency-Key`` on POST: the first answer is kept 24 hours and replayed for the same key and parameters.

Like Stripe, only requests that started executing are kept (successes and card declines); a request
refused by validation keeps nothing, so it can be retried with the same key. A second request
arriving while the first still runs waits for the first's answer (or, with the setting
``idempotencyInFlight: conflict``, gets Stripe's 409 ``idempotency_key_in_use``).
"""
from __future__ import annotations

import threading
import time

from flask import g, request

from .errors import StripeError
from .state import StripeState

KEEP_SECONDS = 24 * 3600
WAIT_SECONDS = 30
KEY_LIMIT = 255


def _fingerprint() -> tuple:
    return tuple(sorted(request.form.items(multi=True)))


def begin(state: StripeState):
    """Before a POST runs: ``None`` to run it (owning the key), or the replayed or refused answer."""
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key:
        return None
    if len(key) > KEY_LIMIT:
        raise StripeError(400, f"Idempotency keys can be at most {KEY_LIMIT} characters long.",
                          type="idempotency_error")
    scope = (request.headers.get("Stripe-Account") or "", key)
    params = _fingerprint()
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        with state.lock:
            record = state.idempotency.get(scope)
            if record is not None and record["expires"] < time.time():
                del state.idempotency[scope]
                record = None
            if record is None:
                state.idempotency[scope] = {"path": request.path, "params": params, "running": True,
                                            "done": threading.Event(), "expires": time.time() + KEEP_SECONDS,
                                            "request_id": g.request_id}
                g.idempotency_scope = scope
                return None
            if record["path"] != request.path:
                raise StripeError(400, f"Keys for idempotent requests can only be used for the same endpoint they were "
                                       f"first used for ('{record['path']}' vs '{request.path}'). Try using a key other "
                                       f"than '{key}' if you meant to execute a different request.",
                                  type="idempotency_error")
            if record["params"] != params:
                raise StripeError(400, "Keys for idempotent requests can only be used with the same parameters they were "
                                       f"first used with. Try using a key other than '{key}' if you meant to execute a "
                                       "different request.", type="idempotency_error")
            if not record["running"]:
                g.idempotent_replayed = True
                return record["body"], record["status"], {"Idempotent-Replayed": "true",
                                                          "Original-Request": record["request_id"]}
            in_flight = state.settings.idempotency_in_flight
            done = record["done"]
        left = deadline - time.monotonic()
        if in_flight == "conflict" or left <= 0 or not done.wait(timeout=left):
            raise StripeError(409, "There is currently another in-progress request using this Stripe-Account/"
                                   "Idempotency-Key combination. Please try again later.", code="idempotency_key_in_use")


def finish(state: StripeState, response) -> None:
    """After the POST that owned the key: keep its answer when it executed, else free the key."""
    scope = g.pop("idempotency_scope", None)
    if scope is None:
        return
    with state.lock:
        record = state.idempotency.get(scope)
        if record is None:
            return
        if response is not None and (response.status_code < 400 or response.status_code == 402):
            record.update(running=False, status=response.status_code, body=response.get_data())
        else:
            del state.idempotency[scope]
        record["done"].set()
