"""Verifying the e-mail with the link: password policy, single use, expiry, and the sign-in answer."""
import datetime as dt

import pytest

from pc_app.core.models import Partner, User, UserToken, utcnow
from pc_app.testing import bearer, database_unchanged

from .flows import PASSWORD, assert_error_shape, register, verify, verify_link_token


@pytest.fixture
def link_token(client, outbox):
    assert register(client).status_code == 202
    return verify_link_token(outbox()[0])


def test_verify_answers_exactly_like_sign_in(client, link_token):
    response = verify(client, link_token)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"accessToken", "refreshToken", "user", "partner"}
    assert body["user"]["email"] == "jane@acme.test"
    assert body["user"]["isPartnerOwner"] is True and body["user"]["isActive"] is True
    assert body["user"]["hasPassword"] is True
    assert body["partner"]["status"] == "onboarding" and body["partner"]["slug"] == "acme-leads"
    assert PASSWORD not in response.get_data(as_text=True)
    signed_in = client.post("/v1/auth/sign-in", json={"email": "jane@acme.test", "password": PASSWORD})
    assert set(signed_in.get_json()) == set(body)
    assert signed_in.get_json()["partner"]["id"] == body["partner"]["id"]


def test_verify_tokens_work_on_me(client, link_token):
    body = verify(client, link_token).get_json()
    me = client.get("/v1/auth/me", headers=bearer(body["accessToken"]))
    assert me.status_code == 200
    assert me.get_json()["partnerId"] == body["partner"]["id"]
    assert client.post("/v1/auth/refresh", headers=bearer(body["refreshToken"])).status_code == 200


def test_verify_activates_the_owner_and_moves_the_partner_to_onboarding(client, app, link_token):
    verify(client, link_token)
    with app.app_context():
        user = User.objects.get()
        partner = Partner.objects.get()
    assert user.is_active and user.password_hash and PASSWORD not in user.password_hash
    assert partner.status == "onboarding"


def test_verify_sends_a_welcome_mail(client, outbox, link_token):
    verify(client, link_token)
    welcome = outbox()[0]
    assert welcome["to"] == "jane@acme.test"
    assert "Welcome" in welcome["subject"]
    assert "http://frontend.test/dashboard" in welcome["text"] and "dashboard" in welcome["html"]
    assert link_token not in welcome["text"]


def test_verify_emits_partner_verified(client, events, link_token):
    verify(client, link_token)
    assert events.names[-1] == "registration.partner_verified"


def test_unverified_owner_cannot_sign_in(client, link_token):
    response = client.post("/v1/auth/sign-in", json={"email": "jane@acme.test", "password": PASSWORD})
    assert_error_shape(response, 401)


def test_token_reuse_is_400_token_used(client, app, link_token):
    assert verify(client, link_token).status_code == 200
    with database_unchanged(app):
        body = assert_error_shape(verify(client, link_token, "Another-Passphrase-77"), 400)
    assert body["errors"] == {"token": ["token_used"]}
    assert "already been used" in body["message"]


def test_expired_token_is_400_token_expired(client, app, link_token):
    with app.app_context():
        UserToken.objects.update(set__expires_at=utcnow() - dt.timedelta(seconds=1))
    with database_unchanged(app):
        body = assert_error_shape(verify(client, link_token), 400)
    assert body["errors"] == {"token": ["token_expired"]}
    assert "expired" in body["message"]
    with app.app_context():
        assert Partner.objects.get().status == "pending_verification"
        assert not User.objects.get().is_active


def test_unknown_token_is_400_token_unknown(client, app, link_token):
    with database_unchanged(app):
        body = assert_error_shape(verify(client, "x" * 43), 400)
    assert body["errors"] == {"token": ["token_unknown"]}


def test_a_password_reset_token_does_not_verify_a_registration(client, app, actors, outbox):
    member = actors.member(actors.partner())
    client.post("/v1/auth/forgot-password", json={"email": member.user.email})
    reset_mail = outbox()[0]
    token = reset_mail["text"].split("token=")[1].split()[0]
    with database_unchanged(app, ignore=("mail_outbox",)):
        body = assert_error_shape(verify(client, token), 400)
    assert body["errors"] == {"token": ["token_unknown"]}


@pytest.mark.parametrize("password, reason", [
    ("short-1", "at least 10 characters"),
    ("jane@acme.test", "email"),
    ("password123", "too common"),
])
def test_weak_password_is_422_naming_password_and_the_link_stays_usable(client, app, link_token, password, reason):
    with database_unchanged(app):
        body = assert_error_shape(verify(client, link_token, password), 422)
    assert list(body["errors"]) == ["password"]
    assert any(reason in problem for problem in body["errors"]["password"]), body
    with app.app_context():
        assert Partner.objects.get().status == "pending_verification"
    assert verify(client, link_token).status_code == 200


def test_missing_token_and_password_are_422_naming_both(client, app):
    with database_unchanged(app):
        body = assert_error_shape(client.post("/v1/auth/verify-registration", json={}), 422)
    assert set(body["errors"]) == {"token", "password"}


def test_verifying_a_partner_the_platform_suspended_meanwhile_keeps_it_suspended(client, app, actors, link_token):
    admin = actors.admin()
    with app.app_context():
        partner_id = str(Partner.objects.get().id)
    assert client.post(f"/v1/partners/{partner_id}/suspend", json={"reason": "Fraud check"},
                       headers=admin.headers).status_code == 200
    body = verify(client, link_token).get_json()
    assert body["partner"]["status"] == "suspended"
    assert body["user"]["isActive"] is True  # suspended partners' users may still sign in


# --- deactivation sticks ---------------------------------------------------------------------

def _deactivate(client, app, actors, email="jane@acme.test"):
    with app.app_context():
        user_id = str(User.objects.get(email=email).id)
    response = client.patch(f"/v1/users/{user_id}/status", headers=actors.admin().headers, json={"isActive": False})
    assert response.status_code == 200, response.get_json()
    return user_id


def test_a_registration_deactivated_before_verifying_cannot_be_verified(client, app, actors, link_token):
    _deactivate(client, app, actors)
    response = verify(client, link_token)
    body = assert_error_shape(response, 400)
    assert body["errors"] == {"token": ["token_inactive"]} and "deactivated" in body["message"]
    assert "accessToken" not in response.get_data(as_text=True)
    with app.app_context():
        user, partner = User.objects.get(email="jane@acme.test"), Partner.objects.get()
    assert user.is_active is False and user.password_hash is None
    assert partner.status == "pending_verification"
    assert client.post("/v1/auth/sign-in", json={"email": "jane@acme.test", "password": PASSWORD}).status_code == 401


def test_deactivation_revokes_the_verification_link(client, app, actors, link_token):
    user_id = _deactivate(client, app, actors)
    with app.app_context():
        assert UserToken.objects(user=user_id, used_at=None).count() == 0


def test_a_deactivated_registration_gets_no_new_link_from_resend_or_registering_again(client, app, actors, outbox,
                                                                                     link_token):
    _deactivate(client, app, actors)
    before = len(outbox())
    assert client.post("/v1/auth/resend-verification", json={"email": "jane@acme.test"}).status_code == 202
    assert register(client).status_code == 202
    new_mails = outbox()[: len(outbox()) - before]
    assert not any("verify?token=" in mail["text"] for mail in new_mails)
    with app.app_context():
        user = User.objects.get(email="jane@acme.test")
        assert UserToken.objects(user=user.id, used_at=None).count() == 0
        assert user.is_active is False
