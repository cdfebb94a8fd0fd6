"""Connect Express accounts: created unable to charge, onboarded by opening the account link (or an admin
call), later made incomplete or restricted; every change is an ``account.updated``."""
import pytest
import requests
import stripe

RETURN, REFRESH = "http://app.test/onboarding/done", "http://app.test/onboarding/again"


def _link(client, account):
    return client.v1.account_links.create({"account": account, "type": "account_onboarding",
                                           "return_url": RETURN, "refresh_url": REFRESH})


def _account_events(client, account):
    return [e for e in client.v1.events.list({"type": "account.updated"}).data if e.account == account]


def test_a_new_express_account_cannot_take_charges_yet(stripe_client):
    account = stripe_client.v1.accounts.create({"type": "express", "email": "seller@example.test",
                                                "capabilities": {"card_payments": {"requested": True},
                                                                 "transfers": {"requested": True}}})
    assert account.object == "account" and account.type == "express" and account.email == "seller@example.test"
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (False, False, False)
    assert account.requirements.currently_due and account.requirements.disabled_reason == "requirements.past_due"
    assert stripe_client.v1.accounts.retrieve(account.id).id == account.id
    assert [a.id for a in stripe_client.v1.accounts.list().data] == [account.id]


def test_opening_the_link_completes_onboarding_and_returns_to_the_app(stripe_client):
    account = stripe_client.v1.accounts.create({"type": "express"})
    link = _link(stripe_client, account.id)
    assert link.object == "account_link" and link.expires_at > link.created
    opened = requests.get(link.url, allow_redirects=False, timeout=5)
    assert opened.status_code == 302 and opened.headers["Location"] == RETURN
    onboarded = stripe_client.v1.accounts.retrieve(account.id)
    assert (onboarded.charges_enabled, onboarded.payouts_enabled, onboarded.details_submitted) == (True, True, True)
    assert onboarded.requirements.currently_due == [] and onboarded.capabilities.transfers == "active"
    [event] = _account_events(stripe_client, account.id)
    assert event.data.object.charges_enabled is True
    assert event.data.previous_attributes.charges_enabled is False

    again = requests.get(link.url, allow_redirects=False, timeout=5)  # links are single-use
    assert again.headers["Location"] == REFRESH


def test_leaving_onboarding_unfinished_changes_nothing(stripe_client):
    account = stripe_client.v1.accounts.create({"type": "express"})
    left = requests.get(_link(stripe_client, account.id).url, params={"submit": "0"}, allow_redirects=False, timeout=5)
    assert left.headers["Location"] == RETURN
    assert stripe_client.v1.accounts.retrieve(account.id).charges_enabled is False
    assert _account_events(stripe_client, account.id) == []


def test_an_expired_link_sends_the_user_to_refresh_url(sandbox, stripe_client):
    sandbox.admin.configure(accountLinkTtlSeconds=-1)
    account = stripe_client.v1.accounts.create({"type": "express"})
    expired = requests.get(_link(stripe_client, account.id).url, allow_redirects=False, timeout=5)
    assert expired.headers["Location"] == REFRESH
    assert stripe_client.v1.accounts.retrieve(account.id).charges_enabled is False


def test_account_links_need_both_urls_and_a_connected_account(stripe_client, sandbox):
    account = stripe_client.v1.accounts.create({"type": "express"})
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe_client.v1.account_links.create({"account": account.id, "type": "account_onboarding",
                                               "refresh_url": REFRESH})
    assert missing.value.param == "return_url"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        _link(stripe_client, "acct_nobody")
    assert unknown.value.http_status == 404


def test_admin_calls_make_an_account_incomplete_then_restricted(sandbox, stripe_client, seller):
    incomplete = sandbox.admin.set_requirements(seller, "incomplete", ["individual.verification.document"])
    assert incomplete["charges_enabled"] is True and incomplete["requirements"]["currently_due"] == [
        "individual.verification.document"]
    restricted = sandbox.admin.set_requirements(seller, "restricted")
    assert (restricted["charges_enabled"], restricted["payouts_enabled"]) == (False, False)
    assert restricted["requirements"]["disabled_reason"] == "requirements.past_due"
    events = _account_events(stripe_client, seller)
    assert [e.data.object.charges_enabled for e in events] == [False, True, True]  # newest first
    with pytest.raises(stripe.InvalidRequestError) as refused:  # a restricted account takes no destination charges
        stripe_client.v1.payment_intents.create({"amount": 1000, "currency": "usd",
                                                 "transfer_data": {"destination": seller}})
    assert refused.value.code == "insufficient_capabilities_for_transfer"
    assert refused.value.param == "transfer_data[destination]"


def test_updating_an_account_emits_account_updated(stripe_client, seller):
    updated = stripe_client.v1.accounts.update(seller, {"metadata": {"partner": "p1"},
                                                        "business_profile": {"name": "Seller Ltd"}})
    assert updated.metadata.partner == "p1" and updated.business_profile.name == "Seller Ltd"
    assert _account_events(stripe_client, seller)[0].data.previous_attributes.metadata.to_dict() == {}


def test_a_connected_accounts_balance_is_read_with_stripe_account(stripe_client, seller):
    from .conftest import pay

    pay(stripe_client, seller, amount=5000, fee=500)
    balance = stripe_client.v1.balance.retrieve(options={"stripe_account": seller})
    assert balance.available[0].amount == 4500
    platform = stripe_client.v1.balance.retrieve()
    assert platform.available[0].amount == 500
    with pytest.raises(stripe.PermissionError):
        stripe_client.v1.balance.retrieve(options={"stripe_account": "acct_unknown"})
