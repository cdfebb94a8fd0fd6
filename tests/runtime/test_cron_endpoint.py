"""POST /v1/internal/cron/<job> lets Kubernetes CronJobs start periodic jobs, with the cron secret only."""
import pytest

from .conftest import QUIET_PLUGIN
from .sample_jobs import runs

CRON_SECRET = "cron-secret-for-tests-0123456789abcdef"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "CRON_SECRET": CRON_SECRET, "PC_PLUGINS": ["runtime_periodic"],
            "PC_EXTRA_PLUGINS": {**QUIET_PLUGIN, "runtime_periodic": "tests.runtime.periodic_plugin"}}


def start(client, job_id, secret=CRON_SECRET):
    headers = {"X-Cron-Secret": secret} if secret is not None else {}
    return client.post(f"/v1/internal/cron/{job_id}", headers=headers)


def test_right_secret_queues_the_job_on_its_specs_queue_and_it_runs(client, app, jobs):
    response = start(client, "nightly-digest")

    assert response.status_code == 202
    job_id = response.get_json()["jobId"]
    assert [job.id for job in jobs.queued("mail")] == [job_id]
    assert jobs.queued("default") == []
    assert jobs.run() == 1
    assert runs(app) == ["nightly-digest"]


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", CRON_SECRET[:-1], CRON_SECRET + "x"])
def test_missing_or_wrong_secret_is_404_and_queues_nothing(client, jobs, secret):
    response = start(client, "nightly-digest", secret)

    assert response.status_code == 404
    assert response.get_json() == {"code": 404, "status": "Not Found", "message": "Not found.", "errors": {}}
    assert jobs.queued("mail") == []


def test_unknown_job_is_404_even_with_the_right_secret(client, jobs):
    response = start(client, "no-such-job")

    assert response.status_code == 404
    assert response.get_json()["code"] == 404
    assert jobs.queued("mail") == [] and jobs.queued("default") == []


def test_get_is_not_allowed(client):
    assert client.get("/v1/internal/cron/nightly-digest", headers={"X-Cron-Secret": CRON_SECRET}).status_code == 405
