"""Path converters: ``<objectid:name>`` matches only a 24-hex id.

With the default converter, ``/v1/leads/<lead_id>`` also matches ``/v1/leads/import``: a
``DELETE /v1/leads/import`` fell through to the lead route instead of answering 405. An id
segment that only matches ids leaves every literal path to its own rule, so a verb a path
does not offer answers 405 with ``Allow``. Every id in a path uses it (a test walks the
URL map); a malformed id answers 404 like an unknown one.
"""
from __future__ import annotations

from werkzeug.routing import BaseConverter

OBJECT_ID_PATTERN = "[0-9a-f]{24}"


class ObjectIdConverter(BaseConverter):
    """A MongoDB ObjectId as the API writes it: 24 lower-case hex digits."""

    regex = OBJECT_ID_PATTERN


def objectid_parameter_schema(_converter) -> dict:
    """How the OpenAPI document describes an ``<objectid:…>`` path parameter."""
    return {"type": "string", "pattern": f"^{OBJECT_ID_PATTERN}$"}


def install_url_converters(app, api) -> None:
    """Register ``objectid`` with Flask and with the OpenAPI document; before any blueprint."""
    app.url_map.converters["objectid"] = ObjectIdConverter
    api.register_converter(ObjectIdConverter, objectid_parameter_schema)
