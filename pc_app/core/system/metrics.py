"""``GET /metrics``: the Prometheus exposition, for whoever presents ``METRICS_TOKEN`` as a bearer token."""
import hmac

from flask import Response, current_app, request

from ...api import Blueprint, abort, requires_security
from ...metrics import render_metrics
from ...redis_client import get_redis

metrics_blp = Blueprint("metrics", __name__, description="Prometheus metrics (Authorization: Bearer METRICS_TOKEN)")


def _token_matches(header: str | None) -> bool:
    expected = current_app.config["METRICS_TOKEN"]
    scheme, _, presented = (header or "").partition(" ")
    # An empty METRICS_TOKEN disables the route: metrics are never public by default.
    return bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(),
                                                                                 expected.encode())


@metrics_blp.route("/metrics")
@requires_security([{"metricsToken": []}])
@metrics_blp.response(200, description="Prometheus text exposition format", content_type="text/plain")
@metrics_blp.errors(404)
@metrics_blp.doc(operationId="getMetrics")
def metrics():
    """Request counts and latency per route, RQ queues, upstream calls and webhook deliveries.

    404 alike when METRICS_TOKEN is not set and when the bearer token is missing or wrong.
    """
    # One answer for a disabled route and a wrong token, like the cron endpoint.
    if not _token_matches(request.headers.get("Authorization")):
        abort(404, message="Not found.")
    body, content_type = render_metrics(get_redis())
    return Response(body, status=200, content_type=content_type)
