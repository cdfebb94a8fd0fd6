"""The service errors every part of the app raises; the core turns each into the one error shape.

Services decide and raise; routes never catch and translate. Each class carries its HTTP
status, a sentence for people and, where a rule or a field is at stake, the ``errors`` map
the frontend reads. ``install_service_errors`` registers the one handler, and
``SHARED_RESPONSES`` documents every status once as an OpenAPI response component.
"""
from __future__ import annotations

# Sentences for statuses that have no natural message of their own.
DEFAULT_MESSAGES = {
    400: "The request could not be understood.",
    401: "Authentication is required.",
    403: "You are not allowed to do this.",
    404: "Not found.",
    405: "This method is not allowed on this URL.",
    409: "The resource is in a state that does not allow this.",
    413: "The request body is too large.",
    415: "The request body must be JSON.",
    422: "The request has invalid fields.",
    429: "Too many requests; try again later.",
    500: "Something went wrong on our side; it has been logged.",
    502: "An upstream service failed.",
    503: "A service we depend on is unavailable.",
}


def error_body(code: int, message: str | None = None, errors: dict | None = None, status: str | None = None) -> dict:
    """The one error shape: ``{"code", "status", "message", "errors"}``."""
    from werkzeug.http import HTTP_STATUS_CODES

    return {
        "code": code,
        "status": status or HTTP_STATUS_CODES.get(code, "Error"),
        "message": message or DEFAULT_MESSAGES.get(code, HTTP_STATUS_CODES.get(code, "Error")),
        "errors": errors or {},
    }


class ServiceError(Exception):
    """Base of every error a service raises on purpose; ``status`` decides the HTTP answer."""
    status = 400
    default_message = "The request could not be handled."

    def __init__(self, message: str | None = None, *, errors: dict | None = None, headers: dict | None = None,
                 extra: dict | None = None):
        self.message = message or self.default_message
        super().__init__(self.message)
        self.errors = dict(errors or {})
        self.headers = dict(headers or {})
        # Extra top-level keys, only for 5xx answers (e.g. ``manualSteps`` when HubSpot fails):
        # every 4xx keeps exactly the four keys of the error shape.
        self.extra = dict(extra or {})


class NotFound(ServiceError):
    """The resource does not exist, or belongs to another partner (ids cannot be probed)."""
    status = 404
    default_message = "Not found."

    def __init__(self, what: str = "resource", message: str | None = None, **kwargs):
        super().__init__(message or f"No such {what}.", **kwargs)
        self.what = what


class Forbidden(ServiceError):
    """The caller is known but its role or its partner's status does not allow this."""
    status = 403
    default_message = "You are not allowed to do this."


class Conflict(ServiceError):
    """The resource's state does not allow this; ``rule`` names the rule that failed."""
    status = 409
    default_message = "The resource is in a state that does not allow this."

    def __init__(self, rule: str, message: str, *, errors: dict | None = None, **kwargs):
        super().__init__(message, errors=errors if errors is not None else {rule: [message]}, **kwargs)
        self.rule = rule


class Invalid(ServiceError):
    """Input that passed the schema but breaks a business rule; ``errors`` names the fields."""
    status = 422
    default_message = "The request has invalid fields."

    def __init__(self, field: str | None = None, message: str | None = None, *, errors: dict | None = None,
                 **kwargs):
        if errors is None and field is not None:
            errors = {field: [message or self.default_message]}
        if message is None and errors:
            message = f"Invalid fields: {', '.join(sorted(errors))}."
        super().__init__(message, errors=errors, **kwargs)


class BadRequest(ServiceError):
    """A request that cannot be understood (a bad signature, a token that is not ours...)."""
    status = 400
    default_message = "The request could not be understood."


class PayloadTooLarge(ServiceError):
    """The request body is larger than the operation takes (413)."""
    status = 413
    default_message = "The request body is too large."


class UnsupportedMediaType(ServiceError):
    """The request body is not in a format the operation takes (415)."""
    status = 415
    default_message = "The request body must be JSON."


class Unauthorized(ServiceError):
    """Credentials are missing or wrong."""
    status = 401
    default_message = "Authentication is required."

    def __init__(self, message: str | None = None, **kwargs):
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(message, **kwargs)


class PaymentDeclined(ServiceError):
    """The card was declined; ``decline_code`` is the card network's reason, passed on as given."""
    status = 402
    default_message = "The payment was declined."

    def __init__(self, message: str | None = None, *, decline_code: str | None = None, field: str = "paymentMethodId",
                 **kwargs):
        kwargs.setdefault("errors", {field: [decline_code or "card_declined"]})
        super().__init__(message, **kwargs)
        self.decline_code = decline_code


class TooManyRequests(ServiceError):
    """A limit was reached; ``retry_after`` seconds until it resets."""
    status = 429
    default_message = "Too many requests; try again later."

    def __init__(self, message: str | None = None, *, retry_after: int | None = None, **kwargs):
        if retry_after is not None:
            kwargs.setdefault("headers", {"Retry-After": str(max(int(retry_after), 1))})
        super().__init__(message, **kwargs)


class UpstreamFailed(ServiceError):
    """A service we call (HubSpot, Stripe, Mailgun) failed; the sentence names it."""
    status = 502
    default_message = "An upstream service failed."

    def __init__(self, service: str, message: str | None = None, **kwargs):
        super().__init__(message or f"{service} failed; nothing was changed. Try again shortly.", **kwargs)
        self.service = service


class UpstreamUnavailable(UpstreamFailed):
    """A service we call is down or too slow to answer."""
    status = 503
    default_message = "A service we depend on is unavailable."

    def __init__(self, service: str, message: str | None = None, *, retry_after: int = 5, **kwargs):
        kwargs.setdefault("headers", {"Retry-After": str(retry_after)})
        super().__init__(service, message or f"{service} is unavailable; nothing was changed. Try again shortly.",
                         **kwargs)


# One OpenAPI response component per status, referenced by every operation that can answer it.
SHARED_RESPONSES = {
    400: ("BadRequest", "The request could not be understood (malformed body, bad signature)."),
    401: ("Unauthorized", "Authentication is missing, expired or revoked."),
    402: ("PaymentDeclined", "The card was declined; ``errors`` carries the decline code."),
    403: ("Forbidden", "The caller's role or partner status does not allow this."),
    404: ("NotFound", "No such resource, or another partner's."),
    405: ("MethodNotAllowed", "The path exists but not with this method."),
    409: ("Conflict", "The resource's state does not allow this; ``errors`` names the rule."),
    413: ("PayloadTooLarge", "The request body is too large."),
    415: ("UnsupportedMediaType", "The request body is not in a format this operation takes."),
    422: ("UnprocessableEntity", "Invalid input; ``errors`` names every bad field."),
    429: ("TooManyRequests", "Rate limited; ``Retry-After`` says when to try again."),
    502: ("BadGateway", "HubSpot or Stripe failed; the message names it and nothing was changed."),
    503: ("ServiceUnavailable", "MongoDB, Redis or an upstream service is unreachable."),
}


def error_response(exc: ServiceError):
    """``(body, status, headers)`` for a service error, in the one error shape."""
    body = error_body(exc.status, exc.message, exc.errors)
    if exc.status >= 500:
        body.update(exc.extra)
    return body, exc.status, exc.headers


def install_service_errors(app) -> None:
    """Answer every ``ServiceError`` the same way, whichever blueprint raised it."""
    app.register_error_handler(ServiceError, error_response)
