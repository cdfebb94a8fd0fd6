"""Stripe's wire format through the unmodified SDK: keys, unknown parameters, errors, lists, expand."""
import pytest
import requests
import stripe


def test_a_wrong_secret_key_is_401(sandbox):
    with pytest.raises(stripe.AuthenticationError) as failure:
        sandbox.client("sk_test_wrong_key_12345678").v1.accounts.list()
    assert failure.value.http_status == 401
    assert failure.value.json_body["error"]["type"] == "invalid_request_error"
    assert "sk_test_wrong_key_12345678" not in failure.value.json_body["error"]["message"]  # masked like Stripe


def test_a_missing_key_is_401(sandbox):
    answer = requests.get(f"{sandbox.base_url}/v1/payment_intents", timeout=5)
    assert answer.status_code == 401 and "did not provide an API key" in answer.json()["error"]["message"]
    basic = requests.get(f"{sandbox.base_url}/v1/payment_intents", auth=(sandbox.secret_key, ""), timeout=5)
    assert basic.status_code == 200  # Stripe also takes the key as HTTP Basic user name


def test_an_unknown_parameter_is_a_400_naming_it(stripe_client, seller):
    with pytest.raises(stripe.InvalidRequestError) as top_level:
        stripe_client.v1.payment_intents.create({"amount": 1000, "currency": "usd", "colour": "blue"})
    assert top_level.value.http_status == 400
    assert top_level.value.code == "parameter_unknown" and top_level.value.param == "colour"
    assert top_level.value.user_message == "Received unknown parameter: colour"
    with pytest.raises(stripe.InvalidRequestError) as nested:
        stripe_client.v1.payment_intents.create({"amount": 1000, "currency": "usd",
                                                 "transfer_data": {"destination": seller, "bogus": "1"}})
    assert nested.value.param == "transfer_data[bogus]"


def test_missing_and_malformed_parameters_are_stripe_400s(sandbox):
    key = {"Authorization": f"Bearer {sandbox.secret_key}"}
    missing = requests.post(f"{sandbox.base_url}/v1/payment_intents", data={"currency": "usd"}, headers=key, timeout=5)
    assert missing.status_code == 400
    assert missing.json()["error"] | {} == {**missing.json()["error"], "code": "parameter_missing", "param": "amount"}
    not_a_number = requests.post(f"{sandbox.base_url}/v1/payment_intents", data={"amount": "ten", "currency": "usd"},
                                 headers=key, timeout=5)
    assert not_a_number.json()["error"]["code"] == "parameter_invalid_integer"
    for body in ({"amount": "1000", "currency": "usd", "confirm": "maybe"}, {"amount[x]": "1", "currency": "usd"},
                 {"metadata": "x", "amount": "1000", "currency": "usd"}, {"a]b": "1"}):
        answer = requests.post(f"{sandbox.base_url}/v1/payment_intents", data=body, headers=key, timeout=5)
        assert answer.status_code == 400 and answer.json()["error"]["type"] == "invalid_request_error", body


def test_an_unknown_object_is_a_404_resource_missing(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as failure:
        stripe_client.v1.payment_intents.retrieve("pi_doesnotexist")
    assert failure.value.http_status == 404 and failure.value.code == "resource_missing"
    assert failure.value.user_message == "No such payment_intent: 'pi_doesnotexist'"


def test_unknown_routes_answer_in_stripes_error_format(sandbox):
    answer = requests.get(f"{sandbox.base_url}/v1/unheard_of", auth=(sandbox.secret_key, ""), timeout=5)
    assert answer.status_code == 404 and answer.json()["error"]["type"] == "invalid_request_error"
    assert answer.headers["Request-Id"].startswith("req_")


def test_lists_page_with_has_more_and_starting_after(stripe_client):
    created = [stripe_client.v1.payment_intents.create({"amount": 1000 + i, "currency": "usd"}) for i in range(5)]
    first = stripe_client.v1.payment_intents.list({"limit": 2})
    assert first.object == "list" and first.has_more is True and first.url == "/v1/payment_intents"
    assert [p.id for p in first.data] == [created[4].id, created[3].id]  # newest first
    second = stripe_client.v1.payment_intents.list({"limit": 2, "starting_after": first.data[-1].id})
    last = stripe_client.v1.payment_intents.list({"limit": 2, "starting_after": second.data[-1].id})
    assert [p.id for p in second.data + last.data] == [created[2].id, created[1].id, created[0].id]
    assert last.has_more is False
    before = stripe_client.v1.payment_intents.list({"limit": 3, "ending_before": created[1].id})
    assert [p.id for p in before.data] == [created[4].id, created[3].id, created[2].id]
    every = [p.id for p in stripe_client.v1.payment_intents.list({"limit": 2}).auto_paging_iter()]
    assert every == [p.id for p in reversed(created)]
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.payment_intents.list({"limit": 101})


def test_expand_replaces_ids_with_objects(stripe_client, seller):
    from .conftest import pay

    intent = pay(stripe_client, seller)
    assert isinstance(intent.latest_charge, str) and intent.latest_charge.startswith("ch_")
    expanded = stripe_client.v1.payment_intents.retrieve(
        intent.id, {"expand": ["latest_charge.balance_transaction", "transfer_data.destination"]})
    assert expanded.latest_charge.object == "charge"
    assert expanded.latest_charge.balance_transaction.object == "balance_transaction"
    assert expanded.transfer_data.destination.id == seller
    listed = stripe_client.v1.payment_intents.list({"expand": ["data.latest_charge"]})
    assert listed.data[0].latest_charge.id == intent.latest_charge
    with pytest.raises(stripe.InvalidRequestError) as failure:
        stripe_client.v1.payment_intents.retrieve(intent.id, {"expand": ["amount"]})
    assert failure.value.param == "expand"


def test_metadata_is_set_and_removed_with_empty_values(stripe_client):
    intent = stripe_client.v1.payment_intents.create({"amount": 5000, "currency": "usd",
                                                      "metadata": {"order": "42", "note": "x"}})
    assert intent.metadata.to_dict() == {"order": "42", "note": "x"}
    changed = stripe_client.v1.payment_intents.update(intent.id, {"metadata": {"note": "", "buyer": "b1"}})
    assert changed.metadata.to_dict() == {"order": "42", "buyer": "b1"}


def test_ids_carry_stripes_prefixes(stripe_client, seller, sandbox):
    from .conftest import pay

    intent = pay(stripe_client, seller)
    charge = stripe_client.v1.charges.retrieve(intent.latest_charge)
    refund = stripe_client.v1.refunds.create({"payment_intent": intent.id, "amount": 100, "reverse_transfer": True,
                                              "refund_application_fee": True})
    transfer = stripe_client.v1.transfers.retrieve(charge.transfer)
    fee = stripe_client.v1.application_fees.retrieve(charge.application_fee)
    prefixes = {seller: "acct_", intent.id: "pi_", charge.id: "ch_", transfer.id: "tr_", fee.id: "fee_",
                refund.id: "re_", refund.transfer_reversal: "trr_", charge.balance_transaction: "txn_",
                fee.refunds.data[0].id: "fr_", stripe_client.v1.events.list().data[0].id: "evt_"}
    assert all(object_id.startswith(prefix) for object_id, prefix in prefixes.items()), prefixes


def test_the_sdks_global_configuration_works_too(sandbox, monkeypatch):
    monkeypatch.setattr(stripe, "api_base", sandbox.base_url)
    monkeypatch.setattr(stripe, "max_network_retries", 0)
    intent = stripe.PaymentIntent.create(api_key=sandbox.secret_key, amount=1500, currency="usd",
                                         payment_method="pm_card_visa", confirm=True)
    assert intent.status == "succeeded"
    assert stripe.PaymentIntent.retrieve(intent.id, api_key=sandbox.secret_key).amount_received == 1500
