"""Injected failures, held calls and latency, and the call log tests assert on."""
import pytest
import stripe


def test_injected_503_and_429_reach_the_sdk_as_stripe_errors(sandbox, stripe_client):
    sandbox.admin.fail_next(503, count=1, path="/v1/payment_intents")
    with pytest.raises(stripe.APIError) as unavailable:
        stripe_client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    assert unavailable.value.http_status == 503
    sandbox.admin.fail_next(429, count=1, path="/v1/payment_intents", retry_after=1)
    with pytest.raises(stripe.RateLimitError) as limited:
        stripe_client.v1.payment_intents.list()
    assert limited.value.headers["Retry-After"] == "1"
    assert stripe_client.v1.payment_intents.list().data == []  # nothing was created by the failed call


def test_a_fraction_of_calls_fail_per_path(sandbox, stripe_client):
    sandbox.admin.fail_fraction(500, 0.5, path="/v1/events")
    outcomes = []
    for _ in range(4):
        try:
            stripe_client.v1.events.list()
            outcomes.append(200)
        except stripe.APIError as failure:
            outcomes.append(failure.http_status)
    assert outcomes == [200, 500, 200, 500]
    assert stripe_client.v1.accounts.list().data == []  # other paths are untouched


def test_a_held_call_times_the_sdk_out(sandbox):
    import stripe as sdk

    sandbox.admin.hold_next(count=1, path="/v1/balance", hold_ms=2000)
    client = sandbox.client(http_client=sdk.RequestsClient(timeout=0.3))
    with pytest.raises(stripe.APIConnectionError):
        client.v1.balance.retrieve()
    assert client.v1.balance.retrieve().object == "balance"


def test_faults_scoped_to_a_connected_account(sandbox, stripe_client, seller):
    sandbox.admin.fail_next(500, count=None, path="/v1/balance", scope=seller)
    assert stripe_client.v1.balance.retrieve().object == "balance"  # the platform's own calls pass
    with pytest.raises(stripe.APIError):
        stripe_client.v1.balance.retrieve(options={"stripe_account": seller})


def test_the_call_log_names_method_path_key_and_status(sandbox, stripe_client):
    stripe_client.v1.payment_intents.create({"amount": 1000, "currency": "usd"}, {"idempotency_key": "log-1"})
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.payment_intents.retrieve("pi_missing")
    calls = sandbox.admin.calls(path="/v1/payment_intents")
    assert [(c["method"], c["route"], c["idempotencyKey"], c["status"]) for c in calls] == [
        ("POST", "/v1/payment_intents", "log-1", 200),
        ("GET", "/v1/payment_intents/<intent_id>", None, 404)]
    assert all(c["requestId"].startswith("req_") for c in calls)
    assert sandbox.admin.calls(status="404")[0]["path"] == "/v1/payment_intents/pi_missing"
