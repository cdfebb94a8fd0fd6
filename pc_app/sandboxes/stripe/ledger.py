"""Money movement of destination charges: the Charge, the Transfer, the ApplicationFee, refunds and their
reversals, each with balance transactions on the account whose balance it changes.

As Stripe's OpenAPI description says of ``transfer_data[amount]``: "if no amount is set, the full
amount is transferred". With ``application_fee_amount`` the destination then pays the fee back:
its payment's balance transaction has ``amount`` = the transfer, ``fee`` = the application fee and
``net`` = the difference, while the platform keeps the fee. The sandbox charges no Stripe fees, so
platform net + destination net == the amount charged, to the cent. Balances are available at once.
"""
from __future__ import annotations

from .errors import StripeError
from .events import emit
from .objects import list_object, new_id, now
from .state import PLATFORM_ACCOUNT, StripeState


def money(amount: int, currency: str) -> str:
    """``$10.00`` as Stripe's messages write amounts (other currencies by their code)."""
    text = f"{abs(amount) / 100:.2f}"
    return f"${text}" if currency == "usd" else f"{text} {currency.upper()}"


def share(part: int, numerator: int, denominator: int) -> int:
    """``part · numerator / denominator`` rounded half up, in whole cents."""
    return (2 * part * numerator + denominator) // (2 * denominator)


def balance_transaction(state: StripeState, account: str, amount: int, kind: str, source: str, currency: str,
                        fee: int = 0, category: str | None = None, description: str | None = None) -> str:
    created = now()
    txn = {"id": new_id("txn"), "object": "balance_transaction", "amount": amount, "available_on": created,
           "created": created, "currency": currency, "description": description, "exchange_rate": None,
           "fee": fee, "fee_details": [{"amount": fee, "application": "ca_pcsandbox", "currency": currency,
                                        "description": "Application fee", "type": "application_fee"}] if fee else [],
           "net": amount - fee, "reporting_category": category or kind, "source": source, "status": "available",
           "type": kind}
    state.add(txn, account=account)
    return txn["id"]


def card_details(card, three_d_secure: bool = False) -> dict:
    return {"card": {"amount_authorized": None, "brand": card.brand, "checks": {
        "address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"}, "country": "US",
        "exp_month": 12, "exp_year": 2034, "fingerprint": f"sbx{card.last4}", "funding": "credit",
        "last4": card.last4, "network": card.brand,
        "three_d_secure": {"authentication_flow": "challenge", "result": "authenticated",
                           "version": "2.2.0"} if three_d_secure else None}, "type": "card"}


def new_charge(state: StripeState, intent: dict, card, *, paid: bool, failure: dict | None = None,
               three_d_secure: bool = False) -> dict:
    destination = (intent.get("transfer_data") or {}).get("destination")
    charge = {"id": new_id("ch"), "object": "charge", "amount": intent["amount"],
              "amount_captured": intent["amount"] if paid else 0, "amount_refunded": 0, "application": None,
              "application_fee": None, "application_fee_amount": intent["application_fee_amount"],
              "balance_transaction": None, "billing_details": {"address": None, "email": None, "name": None,
                                                               "phone": None},
              "calculated_statement_descriptor": "PARTNER CONNECTOR", "captured": paid, "created": now(),
              "currency": intent["currency"], "customer": None, "description": intent["description"],
              "disputed": False, "failure_balance_transaction": None,
              "failure_code": failure["code"] if failure else None,
              "failure_message": failure["message"] if failure else None, "fraud_details": {}, "livemode": False,
              "metadata": dict(intent["metadata"]), "on_behalf_of": None,
              "outcome": _outcome(failure), "paid": paid, "payment_intent": intent["id"],
              "payment_method": card.id, "payment_method_details": card_details(card, three_d_secure),
              "receipt_email": None, "receipt_number": None, "receipt_url": None, "refunded": False,
              "refunds": None, "review": None, "shipping": None, "source_transfer": None,
              "statement_descriptor": None, "statement_descriptor_suffix": None,
              "status": "succeeded" if paid else "failed", "transfer": None,
              "transfer_data": {"amount": intent["transfer_data"].get("amount"), "destination": destination}
              if destination else None, "transfer_group": intent["transfer_group"]}
    charge["refunds"] = list_object(f"/v1/charges/{charge['id']}/refunds", [])
    state.add(charge)
    return charge


def _outcome(failure: dict | None) -> dict:
    if failure is None:
        return {"network_status": "approved_by_network", "reason": None, "risk_level": "normal", "risk_score": 20,
                "seller_message": "Payment complete.", "type": "authorized"}
    return {"network_status": "declined_by_network", "reason": failure.get("decline_code"), "risk_level": "normal",
            "risk_score": 20, "seller_message": "The bank did not return any further details with this decline.",
            "type": "issuer_declined"}


def settle(state: StripeState, intent: dict, card, three_d_secure: bool = False) -> dict:
    """A succeeded charge and, for a destination charge, its transfer and application fee; with events."""
    charge = new_charge(state, intent, card, paid=True, three_d_secure=three_d_secure)
    amount, currency = charge["amount"], charge["currency"]
    charge["balance_transaction"] = balance_transaction(state, PLATFORM_ACCOUNT, amount, "charge", charge["id"],
                                                        currency, description=intent["description"])
    transfer = fee = None
    destination = (intent.get("transfer_data") or {}).get("destination")
    if destination:
        transferred = intent["transfer_data"].get("amount") or amount
        fee_amount = intent["application_fee_amount"] or 0
        payment_id = new_id("py")
        transfer = {"id": new_id("tr"), "object": "transfer", "amount": transferred, "amount_reversed": 0,
                    "balance_transaction": None, "created": now(), "currency": currency, "description": None,
                    "destination": destination, "destination_payment": payment_id, "livemode": False,
                    "metadata": {}, "reversals": None, "reversed": False, "source_transaction": charge["id"],
                    "source_type": "card", "transfer_group": intent["transfer_group"] or f"group_{intent['id']}"}
        transfer["reversals"] = list_object(f"/v1/transfers/{transfer['id']}/reversals", [])
        transfer["balance_transaction"] = balance_transaction(state, PLATFORM_ACCOUNT, -transferred, "transfer",
                                                              transfer["id"], currency)
        state.add(transfer)
        balance_transaction(state, destination, transferred, "payment", payment_id, currency, fee=fee_amount,
                            category="charge", description=intent["description"])
        charge["transfer"] = transfer["id"]
        if fee_amount:
            fee = {"id": new_id("fee"), "object": "application_fee", "account": destination, "amount": fee_amount,
                   "amount_refunded": 0, "application": "ca_pcsandbox", "balance_transaction": None,
                   "charge": charge["id"], "created": now(), "currency": currency,
                   "fee_source": {"charge": charge["id"], "type": "charge"}, "livemode": False,
                   "originating_transaction": None, "refunded": False, "refunds": None}
            fee["refunds"] = list_object(f"/v1/application_fees/{fee['id']}/refunds", [])
            fee["balance_transaction"] = balance_transaction(state, PLATFORM_ACCOUNT, fee_amount, "application_fee",
                                                             fee["id"], currency, category="platform_earning")
            state.add(fee)
            charge["application_fee"] = fee["id"]
    emit(state, "charge.succeeded", charge)
    if transfer is not None:
        emit(state, "transfer.created", transfer)
    if fee is not None:
        emit(state, "application_fee.created", fee)
    return charge


def refund(state: StripeState, charge: dict, params: dict) -> dict:
    """Refund (part of) a charge; optionally reverse the transfer and refund the application fee in proportion.
    The refund that completes a charge's refunds takes whatever remains, so nothing is lost to rounding."""
    currency, charged = charge["currency"], charge["amount"]
    remaining = charged - charge["amount_refunded"]
    if charge["status"] != "succeeded":
        raise StripeError(400, f"Charge {charge['id']} has no successful payment to refund.", param="charge")
    if remaining <= 0:
        raise StripeError(400, f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded")
    amount = params.get("amount", remaining)
    if amount > remaining:
        raise StripeError(400, f"Refund amount ({money(amount, currency)}) is greater than unrefunded amount on charge "
                               f"({money(remaining, currency)})", code="amount_too_large", param="amount")
    transfer = state.find(charge["transfer"])
    fee = state.find(charge["application_fee"])
    if params.get("reverse_transfer") and transfer is None:
        raise StripeError(400, "You can only reverse the transfer of a charge that has one (a destination charge).",
                          param="reverse_transfer")
    if params.get("refund_application_fee") and fee is None:
        raise StripeError(400, "This charge has no application fee to refund.", param="refund_application_fee")
    final = amount == remaining
    refund_obj = {"id": new_id("re"), "object": "refund", "amount": amount, "balance_transaction": None,
                  "charge": charge["id"], "created": now(), "currency": currency,
                  "destination_details": {"card": {"reference_status": "pending", "reference_type": "acquirer_reference_number",
                                                   "type": "refund"}, "type": "card"},
                  "metadata": {k: v for k, v in (params.get("metadata") or {}).items() if v is not None},
                  "payment_intent": charge["payment_intent"], "reason": params.get("reason"),
                  "receipt_number": None, "source_transfer_reversal": None, "status": "succeeded",
                  "transfer_reversal": None}
    refund_obj["balance_transaction"] = balance_transaction(state, PLATFORM_ACCOUNT, -amount, "refund",
                                                            refund_obj["id"], currency)
    state.add(refund_obj)
    if params.get("reverse_transfer"):
        _reverse(state, transfer, refund_obj, amount, charged, final)
    if params.get("refund_application_fee"):
        _refund_fee(state, fee, transfer, amount, charged, final)
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charged
    charge["refunds"]["data"].insert(0, dict(refund_obj))
    emit(state, "refund.created", refund_obj)
    emit(state, "charge.refunded", charge)
    return refund_obj


def _reverse(state: StripeState, transfer: dict, refund_obj: dict, amount: int, charged: int, final: bool) -> None:
    left = transfer["amount"] - transfer["amount_reversed"]
    reversed_amount = left if final else min(share(amount, transfer["amount"], charged), left)
    if reversed_amount <= 0:
        return
    currency = transfer["currency"]
    reversal = {"id": new_id("trr"), "object": "transfer_reversal", "amount": reversed_amount,
                "balance_transaction": None, "created": now(), "currency": currency,
                "destination_payment_refund": new_id("pyr"), "metadata": {}, "source_refund": refund_obj["id"],
                "transfer": transfer["id"]}
    reversal["balance_transaction"] = balance_transaction(state, PLATFORM_ACCOUNT, reversed_amount, "transfer_refund",
                                                          reversal["id"], currency, category="transfer_reversal")
    balance_transaction(state, transfer["destination"], -reversed_amount, "payment_refund",
                        reversal["destination_payment_refund"], currency, category="refund")
    state.add(reversal)
    transfer["amount_reversed"] += reversed_amount
    transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
    transfer["reversals"]["data"].insert(0, dict(reversal))
    refund_obj["transfer_reversal"] = reversal["id"]
    emit(state, "transfer.reversed", transfer)


def _refund_fee(state: StripeState, fee: dict, transfer: dict | None, amount: int, charged: int, final: bool) -> None:
    left = fee["amount"] - fee["amount_refunded"]
    refunded = left if final else min(share(amount, fee["amount"], charged), left)
    if refunded <= 0:
        return
    currency = fee["currency"]
    fee_refund = {"id": new_id("fr"), "object": "fee_refund", "amount": refunded, "balance_transaction": None,
                  "created": now(), "currency": currency, "fee": fee["id"], "metadata": {}}
    fee_refund["balance_transaction"] = balance_transaction(state, PLATFORM_ACCOUNT, -refunded,
                                                            "application_fee_refund", fee_refund["id"], currency,
                                                            category="platform_earning_refund")
    balance_transaction(state, fee["account"], refunded, "application_fee_refund", fee_refund["id"], currency,
                        category="fee")
    state.add(fee_refund)
    fee["amount_refunded"] += refunded
    fee["refunded"] = fee["amount_refunded"] == fee["amount"]
    fee["refunds"]["data"].insert(0, dict(fee_refund))
    emit(state, "application_fee.refunded", fee)


def balances(state: StripeState) -> dict:
    """Every account's available balance by currency, from its balance transactions (nets)."""
    report: dict[str, dict] = {}
    for account in state.all_of("account", newest_first=False):
        report[account["id"]] = {"available": {}, "transactions": []}
    for txn in state.all_of("balance_transaction", newest_first=False):
        account = state.private_of(txn["id"]).get("account", PLATFORM_ACCOUNT)
        entry = report.setdefault(account, {"available": {}, "transactions": []})
        entry["available"][txn["currency"]] = entry["available"].get(txn["currency"], 0) + txn["net"]
        entry["transactions"].append({"id": txn["id"], "type": txn["type"], "amount": txn["amount"],
                                      "fee": txn["fee"], "net": txn["net"], "source": txn["source"]})
    return report


def balance_object(state: StripeState, account: str) -> dict:
    """``GET /v1/balance`` for one account."""
    available = balances(state).get(account, {"available": {}})["available"] or {"usd": 0}
    return {"object": "balance", "available": [{"amount": amount, "currency": currency,
                                                "source_types": {"card": amount}}
                                               for currency, amount in available.items()],
            "connect_reserved": [{"amount": 0, "currency": currency} for currency in available],
            "livemode": False, "pending": [{"amount": 0, "currency": currency, "source_types": {"card": 0}}
                                           for currency in available]}
