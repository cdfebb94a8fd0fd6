"""Liveness, readiness, the plugin list and the development outbox."""
import marshmallow as ma
from flask import current_app, jsonify

from ...api import Blueprint, ResponseSchema, abort, error_body, needs_no_service
from ...auth import parse_object_id
from ...db import ping_database
from ...mail import OutboxMessage
from ...redis_client import get_probe_redis, in_cluster_mode

health_blp = Blueprint("health", __name__, description="Liveness and readiness probes")
plugins_blp = Blueprint("plugins", __name__, url_prefix="/v1/plugins", description="Loaded plugins")
outbox_blp = Blueprint("outbox", __name__, url_prefix="/dev/outbox", description="Mail sent (development only)")

# The kubelet waits timeoutSeconds: 3 for /readyz (k8s/api-deployment.yaml), and a probe that times out
# says nothing. The app's clients wait far longer (5 s for a MongoDB server, 5 s per Redis reply), so
# each dependency is asked with this bound instead: with both down the 503 comes within about 2 s.
READINESS_CHECK_SECONDS = 1.0


class PluginSchema(ResponseSchema):
    name = ma.fields.String()
    version = ma.fields.String()
    requires = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    blueprints = ma.fields.List(ma.fields.String())


def link_tokens(text: str) -> list[str]:
    """The ``token`` query parameter of each link in a mail's text, in order (verify, reset, invitation links)."""
    import re
    from urllib.parse import parse_qs, urlsplit

    found = []
    for url in re.findall(r"https?://[^\s<>\"']+", text or ""):
        found += parse_qs(urlsplit(url).query).get("token", [])
    return found


class OutboxMessageSchema(ResponseSchema):
    id = ma.fields.String()
    to = ma.fields.String()
    subject = ma.fields.String()
    text = ma.fields.String()
    html = ma.fields.String()
    tags = ma.fields.List(ma.fields.String())
    # So a script or docs/http/partner-connector.http can follow a link without reading the text.
    tokens = ma.fields.Function(lambda message: link_tokens(message["text"]), metadata={
        "type": "array", "items": {"type": "string"},
        "description": "The token of each link in the text (verification, reset, invitation), in order"})
    sentAt = ma.fields.String()


@health_blp.route("/healthz")
@needs_no_service
@health_blp.response(200)
@health_blp.doc(operationId="getLiveness")
def healthz():
    """The process is up (no dependency is checked)."""
    return jsonify(status="ok")


@health_blp.route("/readyz")
@health_blp.response(200)
@health_blp.errors(503)
@health_blp.doc(operationId="getReadiness")
def readyz():
    """MongoDB and Redis both answer; 503 names the ones that do not, or a Redis in cluster mode."""
    down = []
    try:
        ping_database(timeout=_mongodb_check_seconds())
    except Exception:
        down.append("mongodb")
    try:
        get_probe_redis(READINESS_CHECK_SECONDS).ping()
    except Exception:
        down.append("redis")
    if down:
        body = error_body(503, f"Not ready: {' and '.join(down)} unreachable.", {name: ["unreachable"] for name in down})
        return jsonify(body), 503
    if _redis_in_cluster_mode():
        # Said here, where a deploy looks first, rather than as CROSSSLOT errors on every request.
        body = error_body(503, "Not ready: Redis runs in cluster mode; Partner Connector and RQ need one Redis "
                               "primary (cluster mode disabled; replicas are fine).", {"redis": ["clusterMode"]})
        return jsonify(body), 503
    return jsonify(status="ready", checks={"mongodb": "ok", "redis": "ok"})


def _mongodb_check_seconds() -> float:
    """The readiness bound, or the app's own server selection timeout when that is shorter (the tests set 300 ms)."""
    return min(READINESS_CHECK_SECONDS, int(current_app.config.get("MONGODB_TIMEOUT_MS", 5000)) / 1000)


def _redis_in_cluster_mode() -> bool:
    """Asked once per process: a server does not change mode under a running app."""
    known = current_app.extensions.get("pc_redis_cluster_mode")
    if known is None:
        known = current_app.extensions["pc_redis_cluster_mode"] = in_cluster_mode(get_probe_redis(READINESS_CHECK_SECONDS))
    return known


@plugins_blp.route("")
@plugins_blp.response(200, PluginSchema(many=True))
def list_plugins():
    """Loaded plugins with version, requirements and blueprints."""
    return [info.as_dict() for info in current_app.extensions["pc_plugins"]]


@outbox_blp.route("")
@outbox_blp.response(200, OutboxMessageSchema(many=True))
@outbox_blp.doc(operationId="listOutboxMessages")
def outbox():
    """Mail 'sent' in development, newest first (at most 200)."""
    return [m.as_dict() for m in OutboxMessage.objects.order_by("-sent_at", "-id").limit(200)]


@outbox_blp.route("/<objectid:message_id>")
@outbox_blp.response(200, OutboxMessageSchema)
@outbox_blp.doc(operationId="getOutboxMessage")
def outbox_message(message_id):
    """One message of the development outbox."""
    message = OutboxMessage.objects(id=parse_object_id(message_id, "message")).first()
    if message is None:
        abort(404, message="No such message.")
    return message.as_dict()
