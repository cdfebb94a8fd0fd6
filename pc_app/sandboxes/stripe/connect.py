"""Connect accounts and their onboarding: what opening an account link, or an admin call, does to an account."""
from __future__ import annotations

import copy
import secrets

from .errors import StripeError
from .events import changed_fields, emit
from .objects import list_object, new_id, now
from .params import merged_metadata
from .state import PLATFORM_ACCOUNT, StripeState

ONBOARDING_FIELDS = ["business_profile.mcc", "business_profile.url", "external_account", "individual.dob.day",
                     "individual.first_name", "individual.last_name", "tos_acceptance.date", "tos_acceptance.ip"]
# What an admin call can make of an account later: Stripe asking for more, or Stripe restricting it.
REQUIREMENT_STATES = ("complete", "incomplete", "restricted")


def requirements(currently_due: list[str], disabled_reason: str | None = None, past_due: list[str] | None = None,
                 deadline: int | None = None) -> dict:
    return {"alternatives": [], "current_deadline": deadline, "currently_due": list(currently_due),
            "disabled_reason": disabled_reason, "errors": [], "eventually_due": list(currently_due),
            "past_due": list(past_due or []), "pending_verification": []}


def new_account(params: dict) -> dict:
    account_id = new_id("acct", 16)
    account_type = params.get("type") or "express"
    capabilities = {name: "inactive" for name, wanted in (params.get("capabilities") or {}).items()
                    if isinstance(wanted, dict) and wanted.get("requested") in ("true", True)}
    return {"id": account_id, "object": "account",
            "business_profile": {"mcc": None, "name": None, "product_description": None, "support_email": None,
                                 "support_phone": None, "support_url": None, "url": None,
                                 **(params.get("business_profile") or {})},
            "business_type": params.get("business_type"), "capabilities": capabilities or
            {"card_payments": "inactive", "transfers": "inactive"}, "charges_enabled": False,
            "controller": {"is_controller": True, "type": "application"}, "country": params.get("country") or "US",
            "created": now(), "default_currency": (params.get("default_currency") or "usd").lower(),
            "details_submitted": False, "email": params.get("email"),
            "external_accounts": list_object(f"/v1/accounts/{account_id}/external_accounts", []),
            "future_requirements": requirements([]), "metadata": merged_metadata({}, params.get("metadata")),
            "payouts_enabled": False, "requirements": requirements(ONBOARDING_FIELDS,
                                                                    "requirements.past_due"),
            "settings": {"payouts": {"debit_negative_balances": True, "schedule": {"delay_days": 2,
                                                                                    "interval": "daily"},
                                     "statement_descriptor": None}},
            "tos_acceptance": {"date": None, "ip": None, "user_agent": None}, "type": account_type}


def update_account(state: StripeState, account: dict, params: dict) -> dict:
    """Apply an update from the API; ``account.updated`` when something changed."""
    before = copy.deepcopy(account)
    for key in ("email", "business_type", "default_currency"):
        if key in params:
            account[key] = params[key]
    if "business_profile" in params:
        account["business_profile"].update(params["business_profile"] or {})
    if "metadata" in params:
        account["metadata"] = merged_metadata(account["metadata"], params["metadata"])
    if "tos_acceptance" in params and params["tos_acceptance"]:
        account["tos_acceptance"].update(params["tos_acceptance"])
    _announce(state, account, before)
    return account


def set_requirements(state: StripeState, account: dict, outcome: str, fields: list[str] | None = None) -> dict:
    """``complete``: onboarding done (charges and payouts enabled); ``incomplete``: Stripe asks for more
    but nothing is disabled yet; ``restricted``: charges and payouts disabled until it is provided."""
    if outcome not in REQUIREMENT_STATES:
        raise StripeError(400, f"state must be one of {', '.join(REQUIREMENT_STATES)}", param="state")
    before = copy.deepcopy(account)
    due = fields or ["individual.verification.document"]
    if outcome == "complete":
        account.update(charges_enabled=True, payouts_enabled=True, details_submitted=True,
                       requirements=requirements([]))
        account["tos_acceptance"].update(date=account["tos_acceptance"]["date"] or now(), ip="127.0.0.1")
        account["capabilities"] = {name: "active" for name in account["capabilities"]}
    elif outcome == "incomplete":
        account["requirements"] = requirements(due, deadline=now() + 14 * 86400)
    else:
        account.update(charges_enabled=False, payouts_enabled=False,
                       requirements=requirements(due, "requirements.past_due", past_due=due))
        account["capabilities"] = {name: "inactive" for name in account["capabilities"]}
    _announce(state, account, before)
    return account


def _announce(state: StripeState, account: dict, before: dict) -> None:
    previous = changed_fields(before, account)
    if previous:
        emit(state, "account.updated", account, previous, account=account["id"])


def new_account_link(state: StripeState, params: dict, base_url: str) -> dict:
    """A single-use link that expires; its URL is the sandbox's stand-in for Stripe's hosted onboarding."""
    account = state.get("account", params["account"], "account")
    if account["id"] == PLATFORM_ACCOUNT:
        raise StripeError(400, "You cannot create an account link for your own account.", param="account")
    token = secrets.token_urlsafe(18)
    created = now()
    link = {"object": "account_link", "created": created, "expires_at": created + state.settings.account_link_ttl,
            "url": f"{base_url}/connect/setup/e/{account['id']}/{token}"}
    state.tokens[token] = {"kind": "account_link", "account": account["id"], "type": params["type"],
                           "refresh_url": params.get("refresh_url"), "return_url": params.get("return_url"),
                           "expires_at": link["expires_at"], "used": False}
    return link


def open_account_link(state: StripeState, account_id: str, token: str, submitted: bool = True) -> str:
    """What a browser opening the link gets: the URL to redirect to. A used or expired link sends the
    user to ``refresh_url``; otherwise onboarding is completed (unless ``submitted`` is false) and the
    user returns to ``return_url``."""
    link = state.tokens.get(token)
    if link is None or link["kind"] != "account_link" or link["account"] != account_id:
        raise StripeError(404, "This account link is unknown.", code="resource_missing")
    if link["used"] or link["expires_at"] < now():
        return link["refresh_url"] or link["return_url"]
    link["used"] = True
    if submitted:
        set_requirements(state, state.get("account", account_id), "complete")
    return link["return_url"]
