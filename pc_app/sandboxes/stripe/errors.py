"""Stripe's error body ``{"error": {type, code, decline_code, message, param}}`` and the exception routes raise."""
from __future__ import annotations

from flask import jsonify

DOCS = "https://stripe.com/docs/error-codes/"


class StripeError(Exception):
    """An answer in Stripe's error format; ``extra`` adds fields (``payment_intent``, ``charge``...)."""

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None, decline_code: str | None = None, **extra):
        super().__init__(message)
        self.status, self.message, self.type, self.code = status, message, type, code
        self.param, self.decline_code, self.extra = param, decline_code, extra

    def body(self) -> dict:
        error = {}
        if self.code:
            error["code"] = self.code
        if self.decline_code:
            error["decline_code"] = self.decline_code
        if self.code:
            error["doc_url"] = DOCS + self.code.replace("_", "-")
        error["message"] = self.message
        if self.param:
            error["param"] = self.param
        error.update(self.extra)
        error["type"] = self.type
        return {"error": error}

    def response(self):
        return jsonify(self.body()), self.status


def unknown_parameter(param: str) -> StripeError:
    return StripeError(400, f"Received unknown parameter: {param}", code="parameter_unknown", param=param)


def missing_parameter(param: str) -> StripeError:
    return StripeError(400, f"Missing required param: {param}.", code="parameter_missing", param=param)


def no_such(kind: str, object_id: str, param: str | None = None) -> StripeError:
    return StripeError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


def unexpected_state(message: str, **extra) -> StripeError:
    return StripeError(400, message, code="payment_intent_unexpected_state", **extra)
