"""The ``/_sandbox`` routes every stand-in shares: health, reset, settings, faults, calls, webhook deliveries.

None of this exists at the real service; it lets tests and developers steer and inspect the stand-in.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from .faults import fault_from_request

ADMIN_PREFIX = "/_sandbox"
WAIT_LIMIT_SECONDS = 60


def admin_body() -> dict:
    """The admin call's JSON object (an empty one for anything else)."""
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def admin_refusal(message: str, status: int = 400):
    return jsonify({"message": message}), status


def kit_admin_blueprint(scope_param: str | None) -> Blueprint:
    """A fresh blueprint for one app (``scope_param`` names the fault scope in request bodies)."""
    blp = Blueprint("sandbox_kit_admin", __name__, url_prefix=ADMIN_PREFIX)

    def state():
        return current_app.extensions["sandbox"]

    @blp.get("/health")
    def health():
        """Answers once the stand-in serves requests."""
        return jsonify({"ok": True, "sandbox": current_app.import_name})

    @blp.post("/reset")
    def reset():
        """Forget all data, faults, calls and deliveries; settings go back to those of process start."""
        state().reset()
        return jsonify({"reset": True})

    @blp.get("/config")
    def get_config():
        """The current settings (secrets only say whether they are set)."""
        return jsonify(state().settings.as_dict())

    @blp.patch("/config")
    def change_config():
        """Change settings by their camelCase names (see ``GET /config``)."""
        current = state()
        with current.lock:
            refusal = current.settings.change(admin_body())
        if refusal:
            return admin_refusal(refusal)
        return jsonify(current.settings.as_dict())

    @blp.get("/faults")
    def list_faults():
        """The faults in force."""
        return jsonify({"faults": state().faults.list()})

    @blp.post("/faults")
    def add_fault():
        """The next ``count`` calls (or a ``fraction`` of them) matching ``path`` (a prefix) and the scope
        fail with ``status``, are held (``timeout``) and/or wait ``latencyMs``; no ``count``: until cleared."""
        fault, refusal = fault_from_request(admin_body(), scope_param)
        if fault is None:
            return admin_refusal(refusal)
        return jsonify({"faults": state().faults.add(fault)}), 201

    @blp.delete("/faults")
    def clear_faults():
        """Remove every injected fault."""
        state().faults.clear()
        return "", 204

    @blp.get("/calls")
    def list_calls():
        """Calls received, oldest first; any query parameter filters on that field (route/path: prefix)."""
        return jsonify({"calls": state().calls.matching(request.args.to_dict())})

    @blp.get("/webhooks")
    def list_deliveries():
        """Webhook deliveries with their attempts; query parameters filter on their labels."""
        return jsonify({"deliveries": state().webhooks.list(**request.args.to_dict())})

    @blp.post("/webhooks/wait")
    def wait_for_deliveries():
        """Block until no delivery is pending (``timeoutSeconds``, default 10): ``{"idle": bool}``."""
        try:
            timeout = min(float(admin_body().get("timeoutSeconds", 10)), WAIT_LIMIT_SECONDS)
        except (TypeError, ValueError):
            return admin_refusal("timeoutSeconds must be a number.")
        return jsonify({"idle": state().webhooks.wait_idle(timeout)})

    @blp.post("/webhooks/drain")
    def drain_recorded():
        """Recorded (not sent) deliveries not handed out before, with body and signed headers; oldest first."""
        labels = {k: v for k, v in admin_body().items() if isinstance(v, (str, int))}
        return jsonify({"deliveries": state().webhooks.drain_recorded(**labels)})

    @blp.get("/state")
    def dump_state():
        """All data as the JSON snapshot holds it."""
        current = state()
        with current.lock:
            return jsonify(current.snapshot())

    return blp
