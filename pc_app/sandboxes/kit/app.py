"""The Flask app around a stand-in: faults before its routes, the call log after, the snapshot, the admin API."""
from __future__ import annotations

import time
from typing import Callable

from flask import Flask, current_app, g, request

from .admin import ADMIN_PREFIX, kit_admin_blueprint
from .faults import Fault
from .state import StandInState

READS = ("GET", "HEAD", "OPTIONS")


def create_stand_in_app(import_name: str, state: StandInState, *, blueprints: list,
                        answer_fault: Callable[[Fault], object], answer_error: Callable[[int, str], object],
                        fault_scope: Callable[[], str | None] = lambda: None,
                        call_details: Callable[[object], dict] = lambda response: {},
                        checks: tuple = (), scope_param: str | None = None) -> Flask:
    """A Flask app serving ``blueprints`` plus the kit's ``/_sandbox`` admin routes.

    :param answer_fault: the response for an injected error status, in the service's own error format.
    :param answer_error: ``(status, message)`` → a response in that format (unknown routes, held calls).
    :param fault_scope: the caller's partition for faults (a portal, an account), read from the request.
    :param call_details: extra fields of the call log entry, given the response.
    :param checks: the service's own checks before a route runs (authentication, rate limits...); each
        returns None or an answer. Injected errors come before them (as if the network failed), added
        latency after them (as if the service were slow to execute the call).
    :param scope_param: the admin API's name for ``fault_scope`` values (``portal``, ``account``).
    """
    app = Flask(import_name)
    app.json.sort_keys = False
    app.extensions["sandbox"] = state
    app.register_blueprint(kit_admin_blueprint(scope_param))
    for blueprint in blueprints:
        app.register_blueprint(blueprint)

    @app.before_request
    def _inject_faults():
        if _is_admin():
            return None
        g.call_log_generation = state.calls.generation
        if request.endpoint is None:  # unknown route: the service's checks still decide (a missing key first)
            for check in checks:
                answer = check()
                if answer is not None:
                    return answer
            return None
        fault = state.faults.take(request.path, fault_scope())
        if fault is not None and (fault.timeout or fault.status):
            time.sleep(fault.latency_ms / 1000)
            if fault.timeout:
                # Held past any sensible client timeout; the client gives up first.
                time.sleep(fault.timeout_ms / 1000)
                return answer_error(504, "Injected timeout from the sandbox.")
            return answer_fault(fault)
        for check in checks:
            answer = check()
            if answer is not None:
                return answer
        if fault is not None and fault.latency_ms:
            time.sleep(fault.latency_ms / 1000)
        return None

    @app.after_request
    def _log_and_keep(response):
        if not _is_admin():
            route = request.url_rule.rule if request.url_rule is not None else request.path
            state.calls.record(request.method, request.path, route, response.status_code,
                               began_in=g.get("call_log_generation"), **call_details(response))
        if request.method not in READS and response.status_code < 500:
            state.save_snapshot()
        return response

    @app.errorhandler(404)
    def _not_found(_exc):
        return answer_error(404, f"Unrecognized request URL ({request.method}: {request.path}).")

    @app.errorhandler(405)
    def _not_allowed(_exc):
        return answer_error(405, f"{request.method} is not allowed on {request.path}.")

    @app.errorhandler(500)
    def _broken(_exc):
        return answer_error(500, "The sandbox failed on this request; see its log.")

    return app


def _is_admin() -> bool:
    return request.path == ADMIN_PREFIX or request.path.startswith(ADMIN_PREFIX + "/")


def stand_in_state() -> StandInState:
    """The state of the app handling the current request."""
    return current_app.extensions["sandbox"]
