"""The one way the plugin talks to Stripe: the unmodified ``stripe`` SDK, pointed at ``STRIPE_API_BASE``.

The same code reaches api.stripe.com in production and our Stripe sandbox in development
and tests; only the base URL and the keys differ. Stripe's failures become the service
errors the core answers (502/503 with a sentence), except card errors, which the purchase
flow handles itself.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager

import stripe
from flask import current_app

from pc_app.toolkit import UpstreamFailed, UpstreamUnavailable, count_upstream_call, upstream_outcome

log = logging.getLogger("plugins.payments.stripe")


class StripeOutcomeUnknown(UpstreamUnavailable):
    """Stripe did not answer (timeout, connection lost, 5xx): the request may or may not have executed.

    Every call that moves money carries an idempotency key, so the same call again is safe.
    """


class StripeRefused(UpstreamFailed):
    """Stripe refused the request as invalid (4xx other than a card error): our data or settings are wrong,
    unless ``param`` names what a caller sent (a payment method): Stripe's ``param`` and ``code`` tell."""

    def __init__(self, service: str, message: str | None = None, *, param: str | None = None,
                 code: str | None = None, **kwargs):
        super().__init__(service, message, **kwargs)
        self.param, self.code = param, code


def client() -> stripe.StripeClient:
    """A ``StripeClient`` for this app's settings, built once per app (it is thread-safe)."""
    config = current_app.config
    key = (config["STRIPE_SECRET_KEY"], config["STRIPE_API_BASE"], config["STRIPE_TIMEOUT_SECONDS"],
           config["STRIPE_MAX_NETWORK_RETRIES"])
    cached = current_app.extensions.get("payments_stripe_client")
    if cached is None or cached[0] != key:
        base = config["STRIPE_API_BASE"].rstrip("/")
        built = stripe.StripeClient(
            config["STRIPE_SECRET_KEY"] or "sk_missing",
            base_addresses={"api": base, "connect": base, "files": base},
            max_network_retries=config["STRIPE_MAX_NETWORK_RETRIES"],
            http_client=stripe.RequestsClient(timeout=config["STRIPE_TIMEOUT_SECONDS"]))
        cached = (key, built)
        current_app.extensions["payments_stripe_client"] = cached
    return cached[1]


def plain(obj) -> dict:
    """A Stripe answer as plain dicts and lists (webhook payloads are already), so one code path reads both."""
    return obj.to_dict() if hasattr(obj, "to_dict") else obj


@contextmanager
def stripe_call(what: str):
    """Turn Stripe's failures into service errors; ``what`` says in a few words what was asked of Stripe.

    Every call is counted (``pc_upstream_calls_total{service="stripe"}``) by its outcome.

    :raises stripe.CardError: a declined card, for the purchase flow to answer.
    :raises StripeOutcomeUnknown: no answer, or a 5xx/429: safe to retry with the same key.
    :raises StripeRefused: a 4xx (not a card error): logged with Stripe's code, never its request.
    """
    try:
        yield
    except stripe.StripeError as exc:
        no_answer = isinstance(exc, stripe.APIConnectionError)
        count_upstream_call("stripe", upstream_outcome(None if no_answer else exc.http_status))
        if isinstance(exc, stripe.CardError):
            raise
        raise _service_error(exc, what) from None
    count_upstream_call("stripe", "ok")


def _service_error(exc: stripe.StripeError, what: str) -> UpstreamFailed:
    if isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError)):
        log.warning("stripe unreachable while %s: %s", what, type(exc).__name__)
        return StripeOutcomeUnknown("Stripe", f"Stripe did not answer while {what}; nothing was lost. "
                                              f"Try again shortly: a retry never charges twice.")
    if isinstance(exc, stripe.APIError):
        log.warning("stripe failed while %s: status=%s", what, exc.http_status)
        if exc.http_status in (500, 502, 503, 504) or exc.http_status is None:
            return StripeOutcomeUnknown("Stripe", f"Stripe failed while {what}; nothing was lost. "
                                                  f"Try again shortly: a retry never charges twice.")
        return StripeRefused("Stripe", f"Stripe refused {what}.")
    log.error("stripe refused %s: status=%s code=%s param=%s", what, exc.http_status, exc.code,
              getattr(exc, "param", None))
    return StripeRefused("Stripe", f"Stripe refused {what}; the platform team has been told.",
                         param=getattr(exc, "param", None), code=exc.code)
