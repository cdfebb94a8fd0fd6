"""``/v1/accounts`` and ``/v1/account_links``: Connect accounts and their onboarding links."""
from __future__ import annotations

from flask import Blueprint, g, jsonify

from ..connect import new_account, new_account_link, update_account
from ..errors import StripeError
from ..params import EXPAND, LIST_PARAMS, METADATA, Param
from ..state import PLATFORM_ACCOUNT, sandbox_state
from ..wire import answer, answer_list, base_url, request_params

accounts_blp = Blueprint("stripe_accounts", __name__)

FREE = Param("free_hash")
UPDATE = {"email": Param(), "business_type": Param(choices=("individual", "company", "non_profit",
                                                            "government_entity")),
          "business_profile": FREE, "capabilities": FREE, "company": FREE, "individual": FREE, "settings": FREE,
          "tos_acceptance": FREE, "default_currency": Param(), "external_account": Param(), "metadata": METADATA,
          "expand": EXPAND}
CREATE = {**UPDATE, "type": Param(choices=("express", "custom", "standard")), "country": Param(),
          "controller": FREE}
LINK = {"account": Param(required=True), "type": Param(required=True, choices=("account_onboarding",
                                                                                 "account_update")),
        "refresh_url": Param(), "return_url": Param(), "collect": Param(choices=("currently_due", "eventually_due")),
        "collection_options": FREE, "expand": EXPAND}


def _connected(account_id: str) -> dict:
    state = sandbox_state()
    account = state.get("account", account_id, "account")
    if account["id"] == PLATFORM_ACCOUNT:
        raise StripeError(400, "This call is for connected accounts; use GET /v1/account for your own.",
                          param="account")
    return account


@accounts_blp.post("/v1/accounts")
def create_account():
    """A connected account (Express by default), not yet onboarded: charges and payouts disabled."""
    params = request_params(CREATE)
    state = sandbox_state()
    with state.lock:
        account = state.add(new_account(params))
        return answer(state.view(account["id"]), params)


@accounts_blp.get("/v1/accounts/<account_id>")
def retrieve_account(account_id):
    params = request_params({"expand": EXPAND})
    state = sandbox_state()
    with state.lock:
        return answer(state.view(_connected(account_id)["id"]), params)


@accounts_blp.post("/v1/accounts/<account_id>")
def change_account(account_id):
    """Update an account; ``account.updated`` when something changed."""
    params = request_params(UPDATE)
    state = sandbox_state()
    with state.lock:
        account = update_account(state, _connected(account_id), params)
        return answer(state.view(account["id"]), params)


@accounts_blp.delete("/v1/accounts/<account_id>")
def delete_account(account_id):
    request_params({})
    state = sandbox_state()
    with state.lock:
        account = _connected(account_id)
        del state.objects[account["id"]]
        return jsonify({"id": account["id"], "object": "account", "deleted": True})


@accounts_blp.get("/v1/accounts")
def list_accounts():
    params = request_params(LIST_PARAMS)
    state = sandbox_state()
    with state.lock:
        return answer_list([a for a in state.all_of("account") if a["id"] != PLATFORM_ACCOUNT], params)


@accounts_blp.get("/v1/account")
def own_account():
    """The account the key belongs to (or the one named by ``Stripe-Account``)."""
    params = request_params({"expand": EXPAND})
    state = sandbox_state()
    with state.lock:
        return answer(state.view(g.account), params)


@accounts_blp.post("/v1/account_links")
def create_account_link():
    """A single-use onboarding link that expires (``accountLinkTtlSeconds``, 300 by default)."""
    params = request_params(LINK)
    if params["type"] == "account_onboarding":
        for name in ("refresh_url", "return_url"):
            if not params.get(name):
                raise StripeError(400, f"Missing required param: {name}.", code="parameter_missing", param=name)
    state = sandbox_state()
    with state.lock:
        return answer(new_account_link(state, params, base_url()), params)
