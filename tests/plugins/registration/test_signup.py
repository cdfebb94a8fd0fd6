"""Self-registration and re-sending the verification link, without account enumeration."""
import datetime as dt
import threading

import pytest

from pc_app.core.models import Partner, User, UserToken, as_utc, utcnow

from .flows import SIGN_UP, assert_error_shape, mails_to, register, verify_link_token

ANSWER = {"message": "Thank you. We have sent an e-mail to this address with the next step."}


def test_register_creates_pending_partner_and_owner_without_password(client, app, outbox):
    response = register(client)
    assert response.status_code == 202
    assert response.get_json() == ANSWER
    with app.app_context():
        partner = Partner.objects.get()
        user = User.objects.get()
    assert (partner.name, partner.slug, partner.status) == ("Acme Leads", "acme-leads", "pending_verification")
    assert (partner.website, partner.phone) == ("https://acme.test", "+14155550123")
    assert user.email == "jane@acme.test" and user.name == "Jane Doe"
    assert user.partner == partner.id and user.is_partner_owner and user.role == "user"
    assert not user.is_active and user.password_hash is None


def test_register_mails_a_verification_link_to_the_frontend(client, outbox):
    register(client)
    [mail] = outbox()
    assert mail["to"] == "jane@acme.test"
    assert "Verify" in mail["subject"] and "Acme Leads" in mail["subject"]
    assert "48 hours" in mail["text"]
    assert len(verify_link_token(mail)) >= 43  # 32 random bytes, URL-safe


def test_verification_token_is_stored_hashed_and_valid_48_hours(client, app, outbox):
    register(client)
    token = verify_link_token(outbox()[0])
    with app.app_context():
        stored = UserToken.objects.get()
        remaining = as_utc(stored.expires_at) - utcnow()
    assert stored.purpose == "verify_registration"
    assert token not in stored.to_json()
    assert dt.timedelta(hours=47, minutes=59) < remaining <= dt.timedelta(hours=48)


def test_the_answer_never_contains_the_token(client, outbox):
    body = register(client).get_data(as_text=True)
    assert verify_link_token(outbox()[0]) not in body


def test_registration_emits_partner_registered(client, app, events):
    register(client)
    assert events.names == ["registration.partner_registered"]
    with app.app_context():
        partner = Partner.objects.get()
    assert events[0].partner_ids == (partner.id,)
    assert events[0].payload["slug"] == "acme-leads"


def test_duplicate_email_gets_same_answer_and_no_second_partner(client, app, actors, outbox):
    existing = actors.member(actors.partner(name="Old Company"), )
    response = register(client, email=existing.user.email.upper(), companyName="Another Company")
    assert response.status_code == 202
    assert response.get_json() == ANSWER
    with app.app_context():
        assert [p.name for p in Partner.objects] == ["Old Company"]
        assert User.objects.count() == 1


def test_duplicate_email_gets_an_already_registered_mail_instead_of_a_link(client, actors, outbox):
    existing = actors.member(actors.partner())
    register(client, email=existing.user.email)
    [mail] = outbox()
    assert mail["to"] == existing.user.email
    assert "already" in mail["subject"]
    assert "http://frontend.test/sign-in" in mail["text"]
    assert "http://frontend.test/forgot-password" in mail["text"] and "forgot-password" in mail["html"]
    assert "verify?token=" not in mail["text"]


def test_known_and_new_emails_get_byte_identical_answers(client, actors):
    existing = actors.member(actors.partner())
    known = register(client, email=existing.user.email)
    new = register(client, email="someone.new@acme.test")
    assert (known.status_code, known.get_data()) == (new.status_code, new.get_data())


@pytest.mark.parametrize("path, body", [
    ("/v1/auth/register-partner", SIGN_UP),
    ("/v1/auth/resend-verification", {"email": SIGN_UP["email"]}),
])
def test_known_and_new_emails_cost_the_same_before_the_answer(app, actors, db_commands, path, body):
    """Timing cannot tell them apart: the same answer, no database work, one decision job each."""
    from pc_app.testing import answer_and_cost

    pending = actors.user(email="pending@acme.test", is_active=False, is_partner_owner=True,
                          partner=actors.partner(status="pending_verification"))
    known_emails = [actors.member(actors.partner()).user.email, pending.user.email]
    costs = [answer_and_cost(app, db_commands, lambda c, e=email: c.post(path, json={**body, "email": e}))
             for email in [*known_emails, "someone.new@acme.test"]]
    assert costs[0] == costs[1] == costs[2]
    assert costs[0]["status"] == 202 and costs[0]["database commands"] == []
    assert [len(jobs) for jobs in costs[0]["jobs queued"].values()] == [1]


def test_registering_again_before_verifying_sends_a_fresh_link_and_no_second_partner(client, app, outbox):
    register(client)
    first = verify_link_token(outbox()[0])
    register(client, companyName="Acme Leads Again")
    second = verify_link_token(outbox()[0])
    assert first != second
    with app.app_context():
        assert Partner.objects.count() == 1
    assert client.post("/v1/auth/verify-registration",
                       json={"token": first, "password": "Partner-Passphrase-2026"}).status_code == 400


def test_email_is_compared_case_insensitively(client, app):
    register(client, email="Jane@ACME.test")
    register(client, email="jane@acme.test")
    with app.app_context():
        assert Partner.objects.count() == 1
        assert User.objects.get().email == "jane@acme.test"


@pytest.mark.parametrize("email", ["not-an-email", "jane@", "@acme.test", "jane acme.test", ""])
def test_malformed_email_is_422_naming_email(client, app, email):
    body = assert_error_shape(register(client, email=email), 422)
    assert list(body["errors"]) == ["email"]
    with app.app_context():
        assert Partner.objects.count() == 0


def test_missing_fields_are_422_naming_each_of_them(client, app):
    response = client.post("/v1/auth/register-partner", json={"website": "https://acme.test"})
    body = assert_error_shape(response, 422)
    assert set(body["errors"]) == {"companyName", "name", "email"}
    with app.app_context():
        assert Partner.objects.count() == 0 and User.objects.count() == 0


def test_blank_names_are_missing_names(client):
    body = assert_error_shape(register(client, companyName="   ", name=" "), 422)
    assert set(body["errors"]) == {"companyName", "name"}


@pytest.mark.parametrize("field, value", [("website", "not a url"), ("phone", "12"), ("companyName", "x" * 201)])
def test_invalid_optional_fields_are_422_naming_them(client, field, value):
    body = assert_error_shape(register(client, **{field: value}), 422)
    assert list(body["errors"]) == [field]


def test_unknown_fields_are_refused(client):
    body = assert_error_shape(register(client, status="active"), 422)
    assert list(body["errors"]) == ["status"]


def test_optional_fields_may_be_left_out(client, app):
    assert register(client, website=None, phone=None).status_code == 202
    with app.app_context():
        partner = Partner.objects.get()
    assert partner.website is None and partner.phone is None


def _race(app, decisions):
    """Take several sign-up decisions at once, as several workers would (``jobs.register_partner``)."""
    from plugins.registration import jobs

    barrier = threading.Barrier(len(decisions))
    errors = []

    def decide(company, email):
        try:
            with app.app_context():
                barrier.wait()
                jobs.register_partner(company, "Jane Doe", email)
        except Exception as exc:  # surfaced by the assertion in the test
            errors.append(exc)

    threads = [threading.Thread(target=decide, args=decision) for decision in decisions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_two_registrations_racing_on_one_company_name_get_two_distinct_slugs(app, outbox, db_latency):
    # Both look up the free slugs before either inserts its partner.
    both_read = db_latency.rendezvous("find", "partners", parties=2)
    errors = _race(app, [("Racing Co", f"founder{i}@racing.test") for i in range(2)])
    assert both_read.met and errors == []
    with app.app_context():
        slugs = sorted(p.slug for p in Partner.objects(name="Racing Co"))
        owners = {u.email: str(u.partner) for u in User.objects}
    assert slugs == ["racing-co", "racing-co-2"]
    assert len(set(owners.values())) == 2  # each founder owns their own partner
    assert sorted(m["to"] for m in outbox()) == ["founder0@racing.test", "founder1@racing.test"]


def test_two_registrations_racing_on_one_email_leave_one_partner(app, outbox, db_latency):
    # Both find no user with the address before either creates one.
    both_read = db_latency.rendezvous("find", "users", parties=2)
    errors = _race(app, [(company, SIGN_UP["email"]) for company in ("First Co", "Second Co")])
    assert both_read.met and errors == []
    with app.app_context():
        assert User.objects.count() == 1
        assert Partner.objects.count() == 1
        assert User.objects.get().partner == Partner.objects.get().id
    assert {m["to"] for m in outbox()} == {SIGN_UP["email"]}


# --- resend-verification ----------------------------------------------------------------------

RESEND_ANSWER = {"message": "If this address is waiting for verification, we have sent it a new link."}


def test_resend_verification_sends_a_new_link_that_replaces_the_old(client, outbox):
    register(client)
    old = verify_link_token(outbox()[0])
    response = client.post("/v1/auth/resend-verification", json={"email": "JANE@acme.test"})
    assert response.status_code == 202 and response.get_json() == RESEND_ANSWER
    messages = outbox()
    assert len(mails_to(messages, SIGN_UP["email"])) == 2
    new = verify_link_token(messages[0])
    assert new != old
    old_answer = client.post("/v1/auth/verify-registration", json={"token": old, "password": "Partner-Passphrase-2026"})
    assert assert_error_shape(old_answer, 400)["errors"] == {"token": ["token_used"]}
    ok = client.post("/v1/auth/verify-registration", json={"token": new, "password": "Partner-Passphrase-2026"})
    assert ok.status_code == 200, ok.get_json()


def test_resend_answers_the_same_for_unknown_verified_and_pending_emails_and_mails_only_pending(
        client, actors, outbox, verified_owner):
    register(client, email="pending@acme.test", companyName="Pending Co")
    member = actors.member(actors.partner())
    sent_before = len(outbox())
    answers = [client.post("/v1/auth/resend-verification", json={"email": email})
               for email in ("nobody@acme.test", member.user.email, verified_owner["user"]["email"],
                             "pending@acme.test")]
    assert {(a.status_code, a.get_data()) for a in answers} == {(202, answers[0].get_data())}
    messages = outbox()
    assert [m["to"] for m in messages[:len(messages) - sent_before]] == ["pending@acme.test"]


def test_resend_for_a_malformed_email_is_422(client):
    body = assert_error_shape(client.post("/v1/auth/resend-verification", json={"email": "nope"}), 422)
    assert list(body["errors"]) == ["email"]


@pytest.mark.parametrize("name", ["J" * 201, "Jane \ud800 Doe"], ids=["longer than the model takes", "lone surrogate"])
def test_an_owner_that_cannot_be_saved_leaves_no_partner_behind(app, jobs, outbox, name):
    """The API refuses both names; a queued decision job can still carry one (queued before a deploy, say).

    The owner's save fails for real (the model refuses the value): the partner written just
    before is removed, nothing is mailed, and the job's retry with a good name starts clean.
    """
    from plugins.registration.jobs import request_registration

    with app.app_context():
        request_registration("Acme Leads", name, "jane@acme.test")
    jobs.run(["mail"])
    with app.app_context():
        assert Partner.objects.count() == 0
        assert User.objects.count() == 0 and UserToken.objects.count() == 0
    assert outbox() == []
    with app.app_context():
        request_registration("Acme Leads", "Jane Doe", "jane@acme.test")
    jobs.run(["mail"])
    with app.app_context():
        assert [(p.slug, p.status) for p in Partner.objects] == [("acme-leads", "pending_verification")]
        assert User.objects.get().partner == Partner.objects.get().id
    assert [mail["to"] for mail in outbox()] == ["jane@acme.test"]


@pytest.mark.parametrize("field, value", [
    ("name", "   "), ("name", "Jane\u0000Doe"), ("companyName", " \t "), ("companyName", "Acme\u0000"),
])
def test_blank_or_nul_names_are_a_422_naming_the_field_and_nothing_is_queued(client, app, jobs, field, value):
    response = client.post("/v1/auth/register-partner", json={**SIGN_UP, field: value})
    assert_error_shape(response, 422)
    assert field in response.get_json()["errors"]
    assert jobs.queued("mail") == []
    jobs.run(["mail"])
    with app.app_context():
        assert Partner.objects.count() == 0 and User.objects.count() == 0


@pytest.mark.parametrize("url", ["/v1/auth/register-partner", "/v1/auth/resend-verification",
                                 "/v1/auth/verify-registration"])
@pytest.mark.parametrize("raw", ['{"email": ' + "[" * 1000 + "]" * 1000 + "}", '{"name": "\\ud800"}',
                                 '{"email": ' + "9" * 5000 + "}"], ids=["deep", "surrogate", "long integer"])
def test_hostile_bodies_on_public_routes_are_422_and_nothing_is_queued_or_written(client, app, jobs, url, raw):
    response = client.post(url, data=raw, content_type="application/json")
    assert_error_shape(response, 422)
    assert jobs.queued("mail") == []
    with app.app_context():
        assert Partner.objects.count() == 0 and User.objects.count() == 0
