"""GET /metrics: only with METRICS_TOKEN; requests by URL rule, RQ queues from Redis, upstream and webhook counters."""
import pytest

from pc_app.devstack import free_port
from pc_app.metrics import count_upstream_call, count_webhook_delivery, upstream_outcome
from pc_app.testing import metric_samples, sample_value

TOKEN = "metrics-token-for-the-runtime-tests-0001"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "METRICS_TOKEN": TOKEN}


def assert_error_shape(response, code):
    assert response.status_code == code
    assert set(response.get_json()) == {"code", "status", "message", "errors"}


def scrape(client) -> str:
    """The exposition, read with this module's token (the route's own test: its token is the app's)."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    return response.get_data(as_text=True)



def test_metrics_are_off_without_a_token_and_refused_with_a_wrong_one(app_config, client):
    from pc_app import create_app

    disabled = create_app({**app_config, "METRICS_TOKEN": ""}).test_client()
    assert_error_shape(disabled.get("/metrics"), 404)
    assert_error_shape(disabled.get("/metrics", headers={"Authorization": "Bearer "}), 404)
    assert_error_shape(client.get("/metrics"), 404)
    assert_error_shape(client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"}), 404)
    assert_error_shape(client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}), 404)
    assert client.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"}).status_code == 200


def test_requests_are_counted_by_url_rule_not_by_raw_path(client, actors):
    owner = actors.partner_owner()
    before = scrape(client)
    for partner_id in (owner.partner_id, "0" * 24, "not-an-id"):
        client.get(f"/v1/partners/{partner_id}", headers=owner.headers)
    client.get("/v1/nothing/here/123")

    after = scrape(client)
    rule = "/v1/partners/<objectid:partner_id>"
    assert sample_value(after, "pc_http_requests_total", route=rule, method="GET", status="200") - \
        sample_value(before, "pc_http_requests_total", route=rule, method="GET", status="200") == 1
    assert sample_value(after, "pc_http_requests_total", route=rule, method="GET", status="404") - \
        sample_value(before, "pc_http_requests_total", route=rule, method="GET", status="404") == 1
    assert sample_value(after, "pc_http_request_duration_seconds_count", route=rule, method="GET") - \
        sample_value(before, "pc_http_request_duration_seconds_count", route=rule, method="GET") == 2
    # "not-an-id" is no 24-hex id, so no route matches it: counted as unmatched, never by its raw path
    assert sample_value(after, "pc_http_requests_total", route="unmatched", method="GET", status="404") - \
        sample_value(before, "pc_http_requests_total", route="unmatched", method="GET", status="404") == 2
    routes = [labels.get("route", "") for labels, _value in metric_samples(after, "pc_http_requests_total")]
    assert routes and not any(owner.partner_id in route for route in routes)


def test_queue_depths_and_failed_jobs_are_read_from_redis_at_scrape_time(app, client, jobs):
    from pc_app.jobs import enqueue

    with app.app_context():
        enqueue("tests.runtime.sample_jobs.record_run", "a", queue="mail")
        enqueue("tests.runtime.sample_jobs.record_run", "b", queue="mail")
        enqueue("tests.runtime.sample_jobs.fail_until_attempt", "never", 99, queue="sync")
    samples = scrape(client)
    assert sample_value(samples, "pc_rq_jobs", queue="mail", state="queued") == 2
    assert sample_value(samples, "pc_rq_jobs", queue="sync", state="queued") == 1
    assert sample_value(samples, "pc_rq_failed_jobs", queue="sync") == 0

    jobs.run()

    samples = scrape(client)
    assert sample_value(samples, "pc_rq_jobs", queue="mail", state="queued") == 0
    assert sample_value(samples, "pc_rq_failed_jobs", queue="sync") == 1
    assert sample_value(samples, "pc_rq_jobs", queue="sync", state="failed") == 1
    assert sample_value(samples, "pc_redis_up") == 1


def test_upstream_calls_and_webhook_deliveries_are_counted_across_processes_in_redis(app, client):
    with app.app_context():
        count_upstream_call("stripe", "ok")
        count_upstream_call("stripe", "ok")
        count_upstream_call("stripe", upstream_outcome(None))
        count_webhook_delivery("partner", "delivered")
        count_webhook_delivery("stripe", "rejected")

    samples = scrape(client)
    assert sample_value(samples, "pc_upstream_calls_total", service="stripe", outcome="ok") == 2
    assert sample_value(samples, "pc_upstream_calls_total", service="stripe", outcome="unreachable") == 1
    assert sample_value(samples, "pc_webhook_deliveries_total", webhook="partner", outcome="delivered") == 1
    assert sample_value(samples, "pc_webhook_deliveries_total", webhook="stripe", outcome="rejected") == 1


@pytest.mark.parametrize("status, outcome", [(200, "ok"), (302, "ok"), (404, "client_error"), (429, "client_error"),
                                             (503, "server_error"), (None, "unreachable")])
def test_upstream_outcome_of_a_status(status, outcome):
    assert upstream_outcome(status) == outcome


@pytest.mark.parametrize("service, outcome", [("Stripe", "ok"), ("stripe", "error for partner 42"), ("", "ok")])
def test_labels_are_fixed_words_so_data_cannot_create_series(app_ctx, service, outcome):
    with pytest.raises(ValueError):
        count_upstream_call(service, outcome)


def test_counting_never_breaks_the_call_it_counts_and_scrapes_say_redis_is_down(app_config):
    from pc_app import create_app

    offline = create_app({**app_config, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    with offline.app_context():
        count_upstream_call("hubspot", "ok")  # Redis down: logged, not raised
    samples = scrape(offline.test_client())
    assert sample_value(samples, "pc_redis_up") == 0
