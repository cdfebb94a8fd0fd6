"""Reading a request's parameters and writing an answer, the same way on every route."""
from __future__ import annotations

from flask import jsonify, request

from .objects import expanded, paginate
from .params import checked, parse_pairs
from .state import sandbox_state


def request_params(spec: dict) -> dict:
    """The request's parameters (form body for POST, query string otherwise), checked against ``spec``."""
    source = request.form if request.method == "POST" else request.args
    return checked(parse_pairs(source.items(multi=True)), spec)


def answer(obj: dict, params: dict, status: int = 200):
    """``obj`` as JSON with the ``expand`` paths of the request expanded."""
    return jsonify(expanded(obj, params.get("expand") or [], sandbox_state().find)), status


def answer_list(items: list[dict], params: dict):
    """A page of ``items`` (newest first) as Stripe's list object."""
    page = paginate(items, request.path, params)
    return answer(page, params)


def answer_retrieved(kind: str, object_id: str, param: str = "id", spec: dict | None = None):
    """``GET /v1/<kind>s/<id>``: the object (404 ``resource_missing`` naming ``param`` when unknown)."""
    from .params import EXPAND

    params = request_params(spec or {"expand": EXPAND})
    state = sandbox_state()
    with state.lock:
        return answer(state.view(state.get(kind, object_id, param)["id"]), params)


def base_url() -> str:
    """Where the client reached the sandbox; links the sandbox hands out (account links, 3-D Secure) use it."""
    return request.host_url.rstrip("/")
