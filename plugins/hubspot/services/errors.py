"""The HubSpot plugin's exceptions and how a failed SDK call becomes one of them."""
from __future__ import annotations

import json
import logging

from urllib3.exceptions import HTTPError as Urllib3Error

from pc_app.toolkit import ServiceError

log = logging.getLogger("plugins.hubspot")


class HubSpotError(ServiceError):
    """Base of this plugin's failures; ``message`` is safe to show (no token, no HubSpot body).

    Each subclass carries the HTTP status the core answers with (a service error), and
    ``reason`` a short code for redirects and logs.
    """
    status = 502

    def __init__(self, message: str, reason: str = "hubspot_error", **kwargs):
        super().__init__(message, **kwargs)
        self.reason = reason


class HubSpotUnavailable(HubSpotError):
    """HubSpot failed or could not be reached (502: the sentence says so, nothing was changed)."""
    status = 502


class HubSpotNotConfigured(HubSpotError):
    """The platform has no HubSpot app credentials (503: an operator must set them)."""
    status = 503


class NotConnected(HubSpotError):
    """The partner has no usable HubSpot connection (409 naming ``hubspotConnected``)."""
    status = 409

    def __init__(self, message: str, reason: str = "not_connected"):
        super().__init__(message, reason, errors={"hubspotConnected": [message]})


class AuthorizationRejected(HubSpotError):
    """The OAuth callback cannot complete; ``reason`` goes into the redirect URL (never an HTTP answer)."""
    status = 400


def api_status(exc: Exception) -> int | None:
    """The HTTP status of an SDK ApiException (each SDK package has its own class), else None."""
    status = getattr(exc, "status", None)
    return status if isinstance(status, int) and hasattr(exc, "body") else None


def _api_body(exc: Exception) -> dict:
    try:
        body = json.loads(getattr(exc, "body", None) or "{}")
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def is_invalid_grant(exc: Exception) -> bool:
    """HubSpot answers a dead refresh token or code with 400 and BAD_REFRESH_TOKEN / invalid_grant."""
    body = _api_body(exc)
    return api_status(exc) == 400 and (body.get("error") == "invalid_grant" or
                                       body.get("status") in ("BAD_REFRESH_TOKEN", "BAD_AUTH_CODE"))


def upstream_failure(exc: Exception, doing: str) -> HubSpotUnavailable:
    """The HubSpotUnavailable for a failed SDK call (only its status is logged); other errors re-raise."""
    status = api_status(exc)
    if status is None and not isinstance(exc, (Urllib3Error, OSError)):
        raise exc
    # Only the status is logged: SDK exceptions carry response bodies that may hold tokens.
    log.warning("hubspot call failed while %s: status=%s error=%s", doing, status, type(exc).__name__)
    detail = f"HubSpot answered {status}" if status else "HubSpot could not be reached"
    return HubSpotUnavailable(f"{detail} while {doing}.")
