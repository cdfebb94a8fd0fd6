"""Sign-in, tokens, sign-out, the current user and password reset (PRODUCT.md §4, core)."""
import datetime as dt

import pytest

from pc_app.testing import bearer

from .api_checks import NEW_PASSWORD, assert_error_shape, link_token, sign_in


# --- sign-in -----------------------------------------------------------------------------

def test_sign_in_returns_tokens_user_and_partner(client, actors):
    member = actors.member(actors.partner(name="Acme Leads"))
    response = sign_in(client, member.user.email.upper())
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"accessToken", "refreshToken", "user", "partner"}
    assert body["user"]["email"] == member.user.email
    assert body["user"]["role"] == "user"
    assert body["user"]["partnerId"] == member.partner_id
    assert body["partner"]["name"] == "Acme Leads"
    assert "password" not in str(body["user"]).lower().replace("haspassword", "")


def test_sign_in_failures_share_one_generic_401(client, actors):
    active = actors.member(actors.partner())
    inactive = actors.user(partner=actors.partner(), is_active=False)
    bodies = []
    for email, password in [("nobody@example.test", "Whatever-Password-1"),
                            (active.user.email, "Wrong-Password-123"),
                            (inactive.user.email, inactive.password)]:
        bodies.append(assert_error_shape(sign_in(client, email, password), 401))
    assert bodies[0] == bodies[1] == bodies[2]


def test_sign_in_names_missing_fields(client):
    body = assert_error_shape(client.post("/v1/auth/sign-in", json={}), 422)
    assert set(body["errors"]) == {"email", "password"}


def test_user_invited_but_without_password_cannot_sign_in(client, actors, app):
    from pc_app.core.models import User

    member = actors.member(actors.partner())
    with app.app_context():
        User.objects(id=member.id).update(unset__password_hash=True)
    assert_error_shape(sign_in(client, member.user.email), 401)


# --- tokens --------------------------------------------------------------------------------

def test_refresh_token_gives_a_new_access_token(client, actors, signed_in):
    member = actors.member(actors.partner())
    session = signed_in(member.user.email)
    response = client.post("/v1/auth/refresh", headers=bearer(session["refreshToken"]))
    assert response.status_code == 200, response.get_json()
    new_access = response.get_json()["accessToken"]
    assert client.get("/v1/auth/me", headers=bearer(new_access)).status_code == 200


def test_access_token_cannot_be_used_to_refresh(client, actors, signed_in):
    session = signed_in(actors.member(actors.partner()).user.email)
    assert_error_shape(client.post("/v1/auth/refresh", headers=bearer(session["accessToken"])), 401)


def test_refresh_token_is_not_an_access_token(client, actors, signed_in):
    session = signed_in(actors.member(actors.partner()).user.email)
    assert_error_shape(client.get("/v1/auth/me", headers=bearer(session["refreshToken"])), 401)


def test_missing_and_garbage_tokens_answer_401_in_the_error_shape(client):
    body = assert_error_shape(client.get("/v1/auth/me"), 401)
    assert "Bearer" in body["message"]
    assert_error_shape(client.get("/v1/auth/me", headers=bearer("not.a.jwt")), 401)
    assert_error_shape(client.get("/v1/auth/me", headers={"Authorization": "Basic abc"}), 401)


def test_expired_access_token_answers_401(client, actors, app):
    from flask_jwt_extended import create_access_token

    member = actors.member(actors.partner())
    with app.app_context():
        token = create_access_token(identity=member.user, expires_delta=dt.timedelta(seconds=-5))
    body = assert_error_shape(client.get("/v1/auth/me", headers=bearer(token)), 401)
    assert "expired" in body["message"]


def test_token_signed_with_another_secret_is_refused(client, actors):
    import jwt as pyjwt

    member = actors.member(actors.partner())
    forged = pyjwt.encode({"sub": member.id, "type": "access", "jti": "x", "fresh": False,
                           "exp": int(dt.datetime.now().timestamp()) + 600}, "another-secret-" * 4, "HS256")
    assert_error_shape(client.get("/v1/auth/me", headers=bearer(forged)), 401)


def test_sign_out_revokes_the_access_and_refresh_tokens(client, actors, signed_in):
    member = actors.member(actors.partner())
    session = signed_in(member.user.email)
    response = client.post("/v1/auth/sign-out", headers=bearer(session["accessToken"]),
                           json={"refreshToken": session["refreshToken"]})
    assert response.status_code == 204
    body = assert_error_shape(client.get("/v1/auth/me", headers=bearer(session["accessToken"])), 401)
    assert "revoked" in body["message"]
    assert_error_shape(client.post("/v1/auth/refresh", headers=bearer(session["refreshToken"])), 401)


def test_sign_out_leaves_other_sessions_alone(client, actors, signed_in):
    member = actors.member(actors.partner())
    first, second = signed_in(member.user.email), signed_in(member.user.email)
    client.post("/v1/auth/sign-out", headers=bearer(first["accessToken"]))
    assert client.get("/v1/auth/me", headers=bearer(second["accessToken"])).status_code == 200


def test_sign_out_does_not_revoke_someone_elses_refresh_token(client, actors, signed_in):
    partner = actors.partner()
    alice, bob = signed_in(actors.member(partner).user.email), signed_in(actors.member(partner).user.email)
    client.post("/v1/auth/sign-out", headers=bearer(alice["accessToken"]), json={"refreshToken": bob["refreshToken"]})
    assert client.post("/v1/auth/refresh", headers=bearer(bob["refreshToken"])).status_code == 200


def test_revocation_entry_expires_with_the_token(client, actors, signed_in, app):
    from pc_app.auth import REVOKED_PREFIX
    from pc_app.redis_client import get_redis

    session = signed_in(actors.member(actors.partner()).user.email)
    client.post("/v1/auth/sign-out", headers=bearer(session["accessToken"]))
    redis = get_redis(app)
    keys = redis.keys(REVOKED_PREFIX + "*")
    assert len(keys) == 1
    assert 0 < redis.ttl(keys[0]) <= 30 * 60


# --- me ----------------------------------------------------------------------------------------

def test_me_shows_role_partner_and_owner_flag(client, actors):
    owner = actors.partner_owner()
    body = client.get("/v1/auth/me", headers=owner.headers).get_json()
    assert body["id"] == owner.id
    assert body["role"] == "user"
    assert body["isPartnerOwner"] is True
    assert body["partnerId"] == owner.partner_id
    assert body["partner"]["id"] == owner.partner_id
    assert "passwordHash" not in body and "password_hash" not in body


def test_me_for_platform_staff_has_no_partner(client, actors):
    body = client.get("/v1/auth/me", headers=actors.admin().headers).get_json()
    assert body["role"] == "admin"
    assert body["partnerId"] is None and body["partner"] is None


# --- forgot / reset password -------------------------------------------------------------------

def _request_reset(client, email):
    return client.post("/v1/auth/forgot-password", json={"email": email})


def test_forgot_password_answers_the_same_for_known_and_unknown_email(client, actors, outbox):
    member = actors.member(actors.partner())
    known = _request_reset(client, member.user.email)
    unknown = _request_reset(client, "nobody@example.test")
    assert known.status_code == unknown.status_code == 202
    assert known.get_json() == unknown.get_json()
    mails = outbox()
    assert [m["to"] for m in mails] == [member.user.email]
    assert "reset-password?token=" in mails[0]["text"] and "reset-password?token=" in mails[0]["html"]


def test_forgot_password_for_inactive_user_sends_nothing(client, actors, outbox):
    inactive = actors.user(partner=actors.partner(), is_active=False)
    assert _request_reset(client, inactive.user.email).status_code == 202
    assert outbox() == []


def test_reset_password_sets_the_new_password_and_token_is_single_use(client, actors, outbox):
    member = actors.member(actors.partner())
    _request_reset(client, member.user.email)
    token = link_token(outbox()[0]["text"])
    response = client.post("/v1/auth/reset-password", json={"token": token, "password": NEW_PASSWORD})
    assert response.status_code == 200, response.get_json()
    assert sign_in(client, member.user.email, NEW_PASSWORD).status_code == 200
    assert sign_in(client, member.user.email).status_code == 401
    again = client.post("/v1/auth/reset-password", json={"token": token, "password": "Another-Passphrase-77"})
    body = assert_error_shape(again, 400)
    assert body["errors"] == {"token": ["token_used"]}


def test_reset_password_revokes_every_session(client, actors, outbox, signed_in):
    member = actors.member(actors.partner())
    session = signed_in(member.user.email)
    _request_reset(client, member.user.email)
    token = link_token(outbox()[0]["text"])
    assert client.post("/v1/auth/reset-password", json={"token": token, "password": NEW_PASSWORD}).status_code == 200
    assert_error_shape(client.get("/v1/auth/me", headers=bearer(session["accessToken"])), 401)
    assert_error_shape(client.get("/v1/auth/me", headers=member.headers), 401)
    assert_error_shape(client.post("/v1/auth/refresh", headers=bearer(session["refreshToken"])), 401)


def test_expired_reset_token_is_refused(client, actors, outbox, app):
    from pc_app.core.models import UserToken, utcnow

    member = actors.member(actors.partner())
    _request_reset(client, member.user.email)
    token = link_token(outbox()[0]["text"])
    with app.app_context():
        UserToken.objects(user=member.id).update(set__expires_at=utcnow() - dt.timedelta(seconds=1))
    body = assert_error_shape(client.post("/v1/auth/reset-password", json={"token": token, "password": NEW_PASSWORD}),
                              400)
    assert body["errors"] == {"token": ["token_expired"]}
    assert "expired" in body["message"]


def test_reset_token_expires_after_one_hour(client, actors, outbox, app):
    from pc_app.core.models import UserToken, as_utc, utcnow

    member = actors.member(actors.partner())
    _request_reset(client, member.user.email)
    outbox()
    with app.app_context():
        token = UserToken.objects(user=member.id).get()
        remaining = as_utc(token.expires_at) - utcnow()
    assert dt.timedelta(minutes=59) < remaining <= dt.timedelta(hours=1)


def test_reset_token_is_stored_hashed(client, actors, outbox, app):
    from pc_app.core.models import UserToken

    member = actors.member(actors.partner())
    _request_reset(client, member.user.email)
    token = link_token(outbox()[0]["text"])
    with app.app_context():
        stored = UserToken.objects(user=member.id).get()
    assert token not in stored.to_json()


def test_unknown_reset_token_is_refused(client):
    body = assert_error_shape(client.post("/v1/auth/reset-password",
                                          json={"token": "x" * 43, "password": NEW_PASSWORD}), 400)
    assert body["errors"] == {"token": ["token_unknown"]}


def test_new_reset_request_invalidates_the_previous_link(client, actors, outbox):
    member = actors.member(actors.partner())
    _request_reset(client, member.user.email)
    first = link_token(outbox()[0]["text"])
    _request_reset(client, member.user.email)
    second = link_token(outbox()[0]["text"])
    assert first != second
    assert client.post("/v1/auth/reset-password", json={"token": first, "password": NEW_PASSWORD}).status_code == 400
    assert client.post("/v1/auth/reset-password", json={"token": second, "password": NEW_PASSWORD}).status_code == 200


@pytest.mark.parametrize("password, reason", [
    ("short-1", "at least 10 characters"),
    ("member1@example.test", "email"),
    ("password123", "too common"),
    ("qwertyuiop", "too common"),
    ("aaaaaaaaaaaa", "too common"),
])
def test_password_policy_is_enforced_on_reset(client, actors, outbox, password, reason):
    member = actors.user(partner=actors.partner(), email="member1@example.test")
    _request_reset(client, member.user.email)
    token = link_token(outbox()[0]["text"])
    body = assert_error_shape(client.post("/v1/auth/reset-password", json={"token": token, "password": password}), 422)
    assert list(body["errors"]) == ["password"]
    assert any(reason in problem for problem in body["errors"]["password"]), body
    # a refused password does not burn the link
    ok = client.post("/v1/auth/reset-password", json={"token": token, "password": NEW_PASSWORD})
    assert ok.status_code == 200, ok.get_json()


def test_password_reset_emits_an_event_for_plugins(client, actors, outbox, events):
    member = actors.member(actors.partner())
    _request_reset(client, member.user.email)
    token = link_token(outbox()[0]["text"])
    client.post("/v1/auth/reset-password", json={"token": token, "password": NEW_PASSWORD})
    changed = [e for e in events if e.name == "core.password_changed"]
    assert [e.payload for e in changed] == [{"userId": member.id}]
    assert changed[0].partner_ids == (member.partner_id,)


def test_tokens_live_30_minutes_and_30_days(client, actors, signed_in, app):
    from flask_jwt_extended import decode_token

    session = signed_in(actors.member(actors.partner()).user.email)
    with app.app_context():
        access, refresh = decode_token(session["accessToken"]), decode_token(session["refreshToken"])
    assert access["exp"] - access["iat"] == 30 * 60
    assert refresh["exp"] - refresh["iat"] == 30 * 24 * 3600
    assert (access["type"], refresh["type"]) == ("access", "refresh")


def test_passwords_are_stored_as_argon2id_hashes(client, actors, outbox, app):
    from pc_app.core.models import User

    member = actors.member(actors.partner())
    _request_reset(client, member.user.email)
    token = link_token(outbox()[0]["text"])
    client.post("/v1/auth/reset-password", json={"token": token, "password": NEW_PASSWORD})
    with app.app_context():
        stored = User.objects(id=member.id).get().password_hash
    assert stored.startswith("$argon2id$") and NEW_PASSWORD not in stored
