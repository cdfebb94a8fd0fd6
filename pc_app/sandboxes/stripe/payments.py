"""PaymentIntents: creation with Stripe's validations, confirmation with Stripe's test payment methods
(success, declines, 3-D Secure), authentication, cancellation."""
from __future__ import annotations

import copy
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from .errors import StripeError, unexpected_state
from .events import emit
from .ledger import money, new_charge, settle
from .objects import new_id, now
from .params import merged_metadata
from .state import StripeState

# Stripe's minimum charge amounts (in the currency's smallest unit) for the currencies we expect.
MINIMUM_AMOUNTS = {"usd": 50, "eur": 50, "gbp": 30, "chf": 50, "cad": 50, "aud": 50, "sek": 300, "dkk": 250,
                   "nok": 300, "pln": 200, "jpy": 50}
CANCELABLE = ("requires_payment_method", "requires_confirmation", "requires_action", "requires_capture")
UPDATABLE = ("requires_payment_method", "requires_confirmation", "requires_action")


@dataclass(frozen=True)
class TestCard:
    """One of Stripe's test PaymentMethods: what confirming a payment with it does."""
    id: str
    brand: str
    last4: str
    outcome: str = "succeed"  # succeed, decline, authenticate
    code: str | None = None
    decline_code: str | None = None
    message: str | None = None
    param: str | None = None


TEST_CARDS = {card.id: card for card in (
    TestCard("pm_card_visa", "visa", "4242"),
    TestCard("pm_card_mastercard", "mastercard", "4444"),
    TestCard("pm_card_amex", "amex", "8431"),
    TestCard("pm_card_chargeDeclined", "visa", "0002", "decline", "card_declined", "generic_decline",
             "Your card was declined."),
    TestCard("pm_card_chargeDeclinedInsufficientFunds", "visa", "9995", "decline", "card_declined",
             "insufficient_funds", "Your card has insufficient funds."),
    TestCard("pm_card_chargeDeclinedExpiredCard", "visa", "0069", "decline", "expired_card", "expired_card",
             "Your card has expired.", "exp_month"),
    TestCard("pm_card_chargeDeclinedIncorrectCvc", "visa", "0127", "decline", "incorrect_cvc", "incorrect_cvc",
             "Your card's security code is incorrect.", "cvc"),
    TestCard("pm_card_chargeDeclinedProcessingError", "visa", "0119", "decline", "processing_error",
             "processing_error", "An error occurred while processing your card. Try again in a little bit."),
    TestCard("pm_card_authenticationRequired", "visa", "3184", "authenticate"),
)}


def payment_method_object(card: TestCard) -> dict:
    return {"id": card.id, "object": "payment_method", "allow_redisplay": "unspecified",
            "billing_details": {"address": None, "email": None, "name": None, "phone": None},
            "card": {"brand": card.brand, "country": "US", "exp_month": 12, "exp_year": 2034, "funding": "credit",
                     "last4": card.last4, "networks": {"available": [card.brand], "preferred": None}},
            "created": now(), "customer": None, "livemode": False, "metadata": {}, "type": "card"}


def test_card(payment_method: str) -> TestCard:
    card = TEST_CARDS.get(payment_method)
    if card is None:
        raise StripeError(400, f"No such PaymentMethod: '{payment_method}'", code="resource_missing",
                          param="payment_method")
    return card


def _check_money(state: StripeState, amount: int, currency: str, fee: int | None, transfer_data: dict | None) -> None:
    minimum = MINIMUM_AMOUNTS.get(currency, 50)
    if amount < minimum:
        raise StripeError(400, f"Amount must be at least {money(minimum, currency)} {currency}",
                          code="amount_too_small", param="amount")
    destination = (transfer_data or {}).get("destination")
    if fee is not None:
        if not destination:
            raise StripeError(400, "Can only apply an application_fee_amount when the PaymentIntent is attempting a "
                                   "direct payment (using an OAuth key or Stripe-Account header) or destination payment "
                                   "(using `transfer_data[destination]`).", param="application_fee_amount")
        if fee > amount:
            raise StripeError(400, f"The application fee ({money(fee, currency)}) must not be greater than the amount "
                                   f"({money(amount, currency)}).", code="parameter_invalid_integer",
                              param="application_fee_amount")
        if (transfer_data or {}).get("amount") is not None:
            raise StripeError(400, "You may only specify one of these parameters: application_fee_amount, "
                                   "transfer_data[amount].", code="parameters_exclusive", param="application_fee_amount")
    if destination and (transfer_data.get("amount") or 0) > amount:
        raise StripeError(400, "The transfer amount must not be greater than the amount.", param="transfer_data[amount]")
    if destination:
        check_destination(state, destination)


def check_destination(state: StripeState, destination: str) -> None:
    """The destination must be a connected account that can receive transfers (charges enabled)."""
    account = state.find(destination)
    if account is None or account["object"] != "account":
        raise StripeError(400, f"No such destination: '{destination}'", code="resource_missing",
                          param="transfer_data[destination]")
    if not account["charges_enabled"] or account["capabilities"].get("transfers") != "active":
        raise StripeError(400, "Your destination account needs to have at least one of the following capabilities "
                               "enabled: transfers, crypto_transfers, legacy_payments",
                          code="insufficient_capabilities_for_transfer", param="transfer_data[destination]")


def create(state: StripeState, params: dict, base_url: str) -> dict:
    currency = params["currency"].lower()
    _check_money(state, params["amount"], currency, params.get("application_fee_amount"), params.get("transfer_data"))
    if params.get("payment_method"):
        test_card(params["payment_method"])
    intent_id = new_id("pi")
    intent = {"id": intent_id, "object": "payment_intent", "amount": params["amount"], "amount_capturable": 0,
              "amount_details": {"tip": {}}, "amount_received": 0, "application": None,
              "application_fee_amount": params.get("application_fee_amount"),
              "automatic_payment_methods": None, "canceled_at": None, "cancellation_reason": None,
              "capture_method": "automatic", "client_secret": f"{intent_id}_secret_{secrets.token_urlsafe(18)}",
              "confirmation_method": "automatic", "created": now(), "currency": currency, "customer": None,
              "description": params.get("description"), "last_payment_error": None, "latest_charge": None,
              "livemode": False, "metadata": merged_metadata({}, params.get("metadata")), "next_action": None,
              "on_behalf_of": None, "payment_method": params.get("payment_method"),
              "payment_method_configuration_details": None, "payment_method_options": {"card": {
                  "installments": None, "mandate_options": None, "network": None,
                  "request_three_d_secure": "automatic"}},
              "payment_method_types": params.get("payment_method_types") or ["card"], "processing": None,
              "receipt_email": params.get("receipt_email"), "review": None, "setup_future_usage": None,
              "shipping": None, "source": None, "statement_descriptor": None, "statement_descriptor_suffix": None,
              "status": "requires_confirmation" if params.get("payment_method") else "requires_payment_method",
              "transfer_data": params.get("transfer_data"), "transfer_group": params.get("transfer_group")}
    state.add(intent)
    emit(state, "payment_intent.created", intent)
    if params.get("confirm"):
        confirm(state, intent, {"return_url": params.get("return_url")}, base_url)
    return intent


def update(state: StripeState, intent: dict, params: dict) -> dict:
    if intent["status"] not in UPDATABLE:
        raise unexpected_state(f"You cannot update this PaymentIntent because it has a status of {intent['status']}. "
                               f"Updates are only allowed when the status is one of: {', '.join(UPDATABLE)}.",
                               payment_intent=copy.deepcopy(intent))
    amount = params.get("amount", intent["amount"])
    currency = (params.get("currency") or intent["currency"]).lower()
    fee = params["application_fee_amount"] if "application_fee_amount" in params else intent["application_fee_amount"]
    _check_money(state, amount, currency, fee, intent["transfer_data"])
    if params.get("payment_method"):
        test_card(params["payment_method"])
        intent["payment_method"] = params["payment_method"]
        intent["status"] = "requires_confirmation"
        intent["next_action"] = None
    intent.update(amount=amount, currency=currency, application_fee_amount=fee)
    for key in ("description", "transfer_group", "receipt_email"):
        if key in params:
            intent[key] = params[key]
    if "metadata" in params:
        intent["metadata"] = merged_metadata(intent["metadata"], params["metadata"])
    return intent


def confirm(state: StripeState, intent: dict, params: dict, base_url: str) -> dict:
    """Attempt the payment. A decline is recorded (failed charge, events) and then raised as Stripe's 402."""
    if intent["status"] == "succeeded":
        raise unexpected_state("You cannot confirm this PaymentIntent because it has already succeeded after being "
                               "previously confirmed.", payment_intent=copy.deepcopy(intent))
    if intent["status"] not in ("requires_payment_method", "requires_confirmation", "requires_action"):
        raise unexpected_state(f"You cannot confirm this PaymentIntent because it has a status of {intent['status']}.",
                               payment_intent=copy.deepcopy(intent))
    if params.get("payment_method"):
        intent["payment_method"] = params["payment_method"]
    if not intent["payment_method"]:
        raise unexpected_state("You cannot confirm this PaymentIntent because it's missing a payment method. Update "
                               "the PaymentIntent with a payment_method and then confirm it again.",
                               param="payment_method", payment_intent=copy.deepcopy(intent))
    card = test_card(intent["payment_method"])
    if (intent.get("transfer_data") or {}).get("destination"):
        check_destination(state, intent["transfer_data"]["destination"])
    intent["last_payment_error"] = None
    if card.outcome == "succeed":
        _succeed(state, intent, card)
    elif card.outcome == "authenticate":
        _require_action(state, intent, params.get("return_url"), base_url)
    else:
        _decline(state, intent, card)
    return intent


def _succeed(state: StripeState, intent: dict, card: TestCard, three_d_secure: bool = False) -> None:
    charge = settle(state, intent, card, three_d_secure)
    intent.update(status="succeeded", amount_received=intent["amount"], latest_charge=charge["id"],
                  next_action=None, last_payment_error=None)
    emit(state, "payment_intent.succeeded", intent)


def _require_action(state: StripeState, intent: dict, return_url: str | None, base_url: str) -> None:
    token = secrets.token_urlsafe(18)
    state.tokens[token] = {"kind": "authentication", "payment_intent": intent["id"], "return_url": return_url}
    url = f"{base_url}/redirect/authenticate/{token}"
    if return_url:
        next_action = {"type": "redirect_to_url", "redirect_to_url": {"return_url": return_url, "url": url}}
    else:
        next_action = {"type": "use_stripe_sdk", "use_stripe_sdk": {"type": "three_d_secure_redirect",
                                                                    "stripe_js": url, "source": new_id("src")}}
    intent.update(status="requires_action", next_action=next_action)
    emit(state, "payment_intent.requires_action", intent)


def _decline(state: StripeState, intent: dict, card: TestCard) -> None:
    failure = {"code": card.code, "decline_code": card.decline_code, "message": card.message}
    charge = new_charge(state, intent, card, paid=False, failure=failure)
    error = StripeError(402, card.message, type="card_error", code=card.code, decline_code=card.decline_code,
                        param=card.param, charge=charge["id"])
    last_error = {**error.body()["error"], "payment_method": payment_method_object(card)}
    intent.update(status="requires_payment_method", latest_charge=charge["id"], last_payment_error=last_error,
                  next_action=None)
    emit(state, "charge.failed", charge)
    emit(state, "payment_intent.payment_failed", intent)
    error.extra.update(payment_intent=copy.deepcopy(intent), payment_method=payment_method_object(card))
    raise error


def authenticate(state: StripeState, intent: dict, succeed: bool = True) -> dict:
    """The customer completes (or fails) the 3-D Secure challenge of a ``requires_action`` intent."""
    if intent["status"] != "requires_action":
        raise unexpected_state(f"This PaymentIntent has a status of {intent['status']}; only one that requires "
                               "action can be authenticated.", payment_intent=copy.deepcopy(intent))
    card = test_card(intent["payment_method"])
    if succeed:
        _succeed(state, intent, card, three_d_secure=True)
    else:
        intent.update(status="requires_payment_method", next_action=None, last_payment_error={
            "code": "payment_intent_authentication_failure",
            "doc_url": "https://stripe.com/docs/error-codes/payment-intent-authentication-failure",
            "message": "The provided PaymentMethod has failed authentication. You can provide payment_method_data or "
                       "a new PaymentMethod to attempt to fulfill this PaymentIntent again.",
            "payment_method": payment_method_object(card), "type": "invalid_request_error"})
        emit(state, "payment_intent.payment_failed", intent)
    return intent


def authentication_redirect(state: StripeState, token: str, succeed: bool) -> str | None:
    """Complete the challenge behind a browser token; the URL to send the browser back to (if any)."""
    challenge = state.tokens.get(token)
    if challenge is None or challenge["kind"] != "authentication":
        raise StripeError(404, "This authentication link is unknown.", code="resource_missing")
    intent = authenticate(state, state.get("payment_intent", challenge["payment_intent"]), succeed)
    del state.tokens[token]
    if not challenge["return_url"]:
        return None
    separator = "&" if "?" in challenge["return_url"] else "?"
    return challenge["return_url"] + separator + urlencode({
        "payment_intent": intent["id"], "payment_intent_client_secret": intent["client_secret"],
        "redirect_status": "succeeded" if succeed else "failed"})


def cancel(state: StripeState, intent: dict, reason: str | None) -> dict:
    if intent["status"] not in CANCELABLE:
        raise unexpected_state(f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}. "
                               "Only a PaymentIntent with one of the following statuses may be canceled: "
                               f"{', '.join(CANCELABLE)}, processing.", payment_intent=copy.deepcopy(intent))
    intent.update(status="canceled", canceled_at=now(), cancellation_reason=reason, next_action=None)
    for token, entry in list(state.tokens.items()):
        if entry.get("payment_intent") == intent["id"]:
            del state.tokens[token]
    emit(state, "payment_intent.canceled", intent)
    return intent
