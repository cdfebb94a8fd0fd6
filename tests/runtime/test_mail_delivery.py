"""Mail leaves the request as a `mail` job; a Mailgun outage delays it, loses none, sends it once."""
import pytest
from rq.job import Job
from rq.registry import FailedJobRegistry, FinishedJobRegistry

from pc_app.jobs import get_queue

from .conftest import release_retries
from .mailgun_stub import MailgunStub

DOMAIN = "mg.partner-connector.test"


@pytest.fixture
def mailgun(request):
    with MailgunStub(failures=getattr(request, "param", 1)) as stub:
        yield stub


@pytest.fixture
def app_config(app_config, mailgun):
    return {**app_config, "MAIL_BACKEND": "mailgun", "MAILGUN_API_BASE": mailgun.url,
            "MAILGUN_API_KEY": "key-for-tests", "MAILGUN_DOMAIN": DOMAIN}


def ask_for_reset(client, actors, jobs):
    """Ask for a reset link: the request queues the decision, whose job renders and queues the mail."""
    user = actors.owner()
    response = client.post("/v1/auth/forgot-password", json={"email": user.user.email})
    assert response.status_code == 202
    assert [job.description for job in jobs.queued("mail")] == ["pc_app.core.auth.jobs.send_password_reset"]
    return user.user.email


def test_failed_first_delivery_is_retried_and_delivered_exactly_once(client, app, actors, jobs, mailgun):
    email = ask_for_reset(client, actors, jobs)
    assert mailgun.attempts == []  # nothing is sent inside the request

    jobs.run(["mail"])  # the decision, then the delivery: Mailgun answers 503
    assert len(mailgun.attempts) == 1 and mailgun.delivered == []
    [job_id] = release_retries(app, "mail")  # the delivery waits for its retry, not failed
    with app.app_context():
        job = get_queue("mail").fetch_job(job_id)
    assert job.description == "pc_app.mail.deliver_mail"

    jobs.run(["mail"])

    assert len(mailgun.attempts) == 2
    [sent] = mailgun.delivered
    assert sent["path"] == f"/v3/{DOMAIN}/messages" and sent["authorized"]
    assert sent["form"]["to"] == email
    assert "reset" in sent["form"]["subject"].lower()
    assert "/reset-password?token=" in sent["form"]["text"]
    with app.app_context():
        # Delivered: the job, whose arguments hold the single-use link, is gone from Redis.
        assert not Job.exists(job.id, connection=get_queue("mail").connection)
        assert job.id not in FinishedJobRegistry(queue=get_queue("mail"))
        assert FailedJobRegistry(queue=get_queue("mail")).count == 0


@pytest.mark.parametrize("mailgun", [99], indirect=True)
def test_mail_that_never_gets_through_lands_in_the_failed_registry(client, app, actors, jobs, mailgun):
    ask_for_reset(client, actors, jobs)

    jobs.run(["mail"])  # the decision, then the first delivery attempt
    [delivery_id] = release_retries(app, "mail")
    jobs.run(["mail"])
    while release_retries(app, "mail"):
        jobs.run(["mail"])

    assert len(mailgun.attempts) == 6  # the first try and five retries
    assert mailgun.delivered == []
    with app.app_context():
        failed = FailedJobRegistry(queue=get_queue("mail"))
        assert failed.get_job_ids() == [delivery_id]  # kept for `rq requeue`, not lost
        assert "503" in get_queue("mail").fetch_job(delivery_id).latest_result().exc_string
        assert "key-for-tests" not in get_queue("mail").fetch_job(delivery_id).latest_result().exc_string
