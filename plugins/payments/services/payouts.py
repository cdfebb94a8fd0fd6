"""Seller payouts through Stripe Connect (Express): the account, its onboarding link, its status.

A partner gets one connected account, created once even under double clicks (the Stripe
idempotency key derives from the partner). Its flags are kept current by ``account.updated``
and refreshed from Stripe when read and older than ``PAYMENTS_PAYOUT_STATUS_MAX_AGE_SECONDS``.
"""
from __future__ import annotations

from flask import current_app
from mongoengine.errors import NotUniqueError
from pymongo import ReturnDocument

from pc_app.toolkit import STRIPE, Partner, emit, utcnow

from ..models import PayoutAccount
from .clock import from_ms, now_ms
from .stripe_api import client, plain, stripe_call

VETO = ("payoutsEnabled", "Enable payouts first: Stripe must be able to pay you before you can sell leads "
                          "(Settings → Payouts).")


def payouts_enabled(partner_id: str) -> bool:
    return PayoutAccount.objects(partner=partner_id, payouts_enabled=True).only("id").first() is not None


def listing_veto(partner: Partner) -> list[tuple[str, str]]:
    """The ``pc_listing_vetoes`` answer: none for the house seller or a seller Stripe pays out to."""
    if partner.is_platform or payouts_enabled(partner.id):
        return []
    return [VETO]


def destination_of(partner_id: str) -> PayoutAccount | None:
    return PayoutAccount.objects(partner=partner_id).first()


def _account_record(partner_id: str) -> PayoutAccount:
    try:
        PayoutAccount(partner=partner_id).save(force_insert=True)
    except NotUniqueError:
        pass  # a double click made it first
    return PayoutAccount.objects(partner=partner_id).first()


def ensure_account(partner: Partner) -> PayoutAccount:
    """The partner's connected account, created at Stripe once (same idempotency key for every click)."""
    record = _account_record(partner.id)
    if record.account_id:
        return record
    with stripe_call("creating your payout account"):
        account = plain(client().v1.accounts.create({"type": "express", "metadata": {"partnerId": partner.id}},
                                              {"idempotency_key": f"pc-connect-account-{partner.id}"}))
    PayoutAccount.objects(id=record.id, account_id=None).update_one(set__account_id=account["id"],
                                                                    set__updated_at=utcnow())
    record.reload()
    _store_flags(record.account_id, account)
    return PayoutAccount.objects(id=record.id).first()


def onboarding_link(partner: Partner) -> dict:
    """A fresh account link (single use, expiring) whose return and refresh URLs lead back to the frontend."""
    record = ensure_account(partner)
    frontend = current_app.config["FRONTEND_URL"].rstrip("/")
    with stripe_call("preparing the payout onboarding link"):
        link = plain(client().v1.account_links.create({
            "account": record.account_id, "type": "account_onboarding",
            "refresh_url": f"{frontend}/settings/payouts?onboarding=refresh",
            "return_url": f"{frontend}/settings/payouts?onboarding=return"}))
    return {"url": link["url"], "expiresAt": from_ms(int(link["expires_at"]) * 1000)}


def status(partner: Partner) -> dict:
    """The payout flags, re-read from Stripe when older than the configured age."""
    record = PayoutAccount.objects(partner=partner.id).first()
    if record is None or not record.account_id:
        return {"accountId": None, "chargesEnabled": False, "payoutsEnabled": False,
                "detailsSubmitted": False, "requirements": {}, "refreshedAt": None}
    max_age = current_app.config["PAYMENTS_PAYOUT_STATUS_MAX_AGE_SECONDS"] * 1000
    if now_ms() - (record.refreshed_ms or 0) > max_age:
        with stripe_call("reading your payout account"):
            account = plain(client().v1.accounts.retrieve(record.account_id))
        _store_flags(record.account_id, account)
        record = PayoutAccount.objects(id=record.id).first()
    return {"accountId": record.account_id, "chargesEnabled": record.charges_enabled,
            "payoutsEnabled": record.payouts_enabled, "detailsSubmitted": record.details_submitted,
            "requirements": record.requirements or {},
            "refreshedAt": from_ms(record.refreshed_ms) if record.refreshed_ms else None}


def _requirements(account) -> dict:
    reqs = account.get("requirements") or {}
    return {"currentlyDue": list(reqs.get("currently_due") or []), "pastDue": list(reqs.get("past_due") or []),
            "eventuallyDue": list(reqs.get("eventually_due") or []),
            "disabledReason": reqs.get("disabled_reason")}


def _store_flags(account_id: str, account) -> None:
    """Record what Stripe says; the first time payouts become enabled, emit ``payments.payouts_enabled``."""
    payouts = bool(account.get("payouts_enabled"))
    before = PayoutAccount._get_collection().find_one_and_update(
        {"account_id": account_id},
        {"$set": {"charges_enabled": bool(account.get("charges_enabled")), "payouts_enabled": payouts,
                  "details_submitted": bool(account.get("details_submitted")),
                  "requirements": _requirements(account), "refreshed_ms": now_ms(), "updated_at": utcnow()}},
        projection={"partner": 1, "payouts_enabled": 1}, return_document=ReturnDocument.BEFORE)
    if before is not None and payouts and not bool(before.get("payouts_enabled")):
        emit("payments.payouts_enabled", partner_ids=[before["partner"]], actor=STRIPE,
             payload={"partnerId": before["partner"], "accountId": account_id})


def on_account_updated(account) -> None:
    """``account.updated`` from Stripe: keep the flags of an account we know (others are ignored)."""
    if account.get("id") and PayoutAccount.objects(account_id=account["id"]).only("id").first() is not None:
        _store_flags(account["id"], account)
