"""HubSpot's error body, as every sandbox route answers it."""
from __future__ import annotations

import uuid

from flask import jsonify

ERROR_CATEGORIES = {400: "VALIDATION_ERROR", 401: "INVALID_AUTHENTICATION", 403: "MISSING_SCOPES",
                    404: "OBJECT_NOT_FOUND", 405: "VALIDATION_ERROR", 409: "CONFLICT"}


def hubspot_error(status: int, message: str, category: str | None = None, **extra):
    """A response in HubSpot's error format (``status``/``message``/``correlationId``/``category``)."""
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()),
            "category": category or ERROR_CATEGORIES.get(status, "INTERNAL_ERROR")}
    body.update(extra)
    return jsonify(body), status
