"""The Stripe sandbox's Flask app: the kit's plumbing plus Stripe's key check, ``Stripe-Account``,
``Idempotency-Key``, ``Request-Id`` and error format."""
from __future__ import annotations

import secrets

from flask import g, request

from ..kit import create_stand_in_app
from . import idempotency
from .admin import admin_blp
from .errors import StripeError
from .routes.accounts import accounts_blp
from .routes.browser import browser_blp
from .routes.events import events_blp
from .routes.money import money_blp
from .routes.payment_intents import payment_intents_blp
from .routes.refunds import refunds_blp
from .state import PLATFORM_ACCOUNT, StripeSettings, StripeState, sandbox_state

NO_KEY = ("You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer "
          "auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for "
          "details, or we can help at https://support.stripe.com/.")
# Acting as a connected account (direct charges and the like) is not modelled, except to read its balance.
CONNECTED_ACCOUNT_PATHS = ("/v1/balance", "/v1/balance_transactions", "/v1/account")


def _answer_fault(fault):
    if fault.status == 429:
        error = StripeError(429, "Request rate limit exceeded. Learn more about rate limits here "
                                 "https://stripe.com/docs/rate-limits.", code="rate_limit")
    else:
        error = StripeError(fault.status, "Injected failure from the Stripe sandbox.",
                            type="api_error" if fault.status >= 500 else "invalid_request_error")
    response, status = error.response()
    if fault.retry_after is not None:
        response.headers["Retry-After"] = str(fault.retry_after)
    return response, status


def _answer_error(status: int, message: str):
    if status == 404:
        message += " Please see https://stripe.com/docs or we can help at https://support.stripe.com/."
    return StripeError(status, message, type="api_error" if status >= 500 else "invalid_request_error").response()


def _presented_key() -> str:
    if request.authorization is not None:
        if request.authorization.type == "basic":
            return request.authorization.username or ""
        return request.authorization.token or ""
    return ""


def _authenticate():
    """Every ``/v1`` call: the secret key, then who it acts as, then its idempotency key."""
    if not request.path.startswith("/v1/"):
        return None
    g.request_id = "req_" + secrets.token_urlsafe(10)
    if request.endpoint is None:
        return None
    key = _presented_key()
    if not key:
        raise StripeError(401, NO_KEY)
    state = sandbox_state()
    if key != state.settings.secret_key:
        raise StripeError(401, f"Invalid API Key provided: {key[:8]}{'*' * max(len(key) - 12, 0)}{key[-4:]}")
    g.account = request.headers.get("Stripe-Account") or PLATFORM_ACCOUNT
    if g.account != PLATFORM_ACCOUNT:
        account = state.find(g.account)
        if account is None or account["object"] != "account":
            raise StripeError(403, f"The provided key '{key[:8]}***{key[-4:]}' does not have access to account "
                                   f"'{g.account}' (or that account does not exist). Application access may have been "
                                   "revoked.", code="account_invalid")
        if not request.path.startswith(CONNECTED_ACCOUNT_PATHS):
            raise StripeError(400, f"The Stripe sandbox takes Stripe-Account only on {', '.join(CONNECTED_ACCOUNT_PATHS)}"
                                   f"; {request.path} acts for the platform.", param="Stripe-Account")
    return idempotency.begin(state)


def _finish(response):
    if request.path.startswith("/v1/"):
        idempotency.finish(sandbox_state(), response)
        if "request_id" in g:
            response.headers["Request-Id"] = g.request_id
    return response


def _release_key(_exc):
    if "idempotency_scope" in g:  # the request broke before answering: free the key for a retry
        idempotency.finish(sandbox_state(), None)


def _call_details(_response) -> dict:
    if not request.path.startswith("/v1/"):
        return {}
    return {"idempotencyKey": request.headers.get("Idempotency-Key"),
            "idempotentReplayed": bool(g.get("idempotent_replayed")),
            "account": request.headers.get("Stripe-Account"), "requestId": g.get("request_id")}


def create_sandbox_app(settings: StripeSettings | None = None, snapshot_path=None):
    """A Flask app that answers like Stripe's API on Stripe's paths, plus the admin API under ``/_sandbox``."""
    state = StripeState(settings or StripeSettings(), snapshot_path)
    app = create_stand_in_app(
        "pc_app.sandboxes.stripe", state,
        blueprints=[accounts_blp, payment_intents_blp, refunds_blp, money_blp, events_blp, browser_blp, admin_blp],
        answer_fault=_answer_fault, answer_error=_answer_error,
        fault_scope=lambda: request.headers.get("Stripe-Account"), call_details=_call_details,
        checks=(_authenticate,), scope_param="account")
    app.after_request(_finish)
    app.teardown_request(_release_key)
    app.register_error_handler(StripeError, lambda error: error.response())
    return app
