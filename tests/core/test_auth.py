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

def test_refresh_gives_a_new_access_token_and_a_new_refresh_token(client, actors, signed_in):
    member = actors.member(actors.partner())
    session = signed_in(member.user.email)
    response = client.post("/v1/auth/refresh", headers=bearer(session["refreshToken"]))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"accessToken", "refreshToken"}
    assert body["refreshToken"] != session["refreshToken"]
    assert client.get("/v1/auth/me", headers=bearer(body["accessToken"])).status_code == 200
    again = client.post("/v1/auth/refresh", headers=bearer(body["refreshToken"]))
    assert again.status_code == 200, again.get_json()


def test_rotated_tokens_stay_in_the_session_and_never_stretch_it(client, actors, signed_in, app):
    from flask_jwt_extended import decode_token

    session = signed_in(actors.member(actors.partner()).user.email)
    rotated = client.post("/v1/auth/refresh", headers=bearer(session["refreshToken"])).get_json()
    with app.app_context():
        first = [decode_token(session[k]) for k in ("accessToken", "refreshToken")]
        second = [decode_token(rotated[k], allow_expired=True) for k in ("accessToken", "refreshToken")]
    assert len({token["sid"] for token in first + second}) == 1
    assert second[1]["jti"] != first[1]["jti"]
    assert abs(second[1]["exp"] - first[1]["exp"]) <= 1  # the session ends when it would have anyway
    assert second[0]["fresh"] is False  # only a sign-in gives a fresh token


def test_reusing_a_rotated_refresh_token_ends_the_whole_session(client, actors, signed_in):
    session = signed_in(actors.member(actors.partner()).user.email)
    rotated = client.post("/v1/auth/refresh", headers=bearer(session["refreshToken"])).get_json()
    reused = client.post("/v1/auth/refresh", headers=bearer(session["refreshToken"]))
    body = assert_error_shape(reused, 401)
    assert "already been used" in body["message"] and reused.headers["WWW-Authenticate"] == "Bearer"
    # Nobody can tell the thief from the user: every token of the session is dead now.
    for token, url in ((rotated["refreshToken"], "/v1/auth/refresh"), (rotated["accessToken"], "/v1/auth/me"),
                       (session["accessToken"], "/v1/auth/me")):
        method = client.post if url.endswith("refresh") else client.get
        assert_error_shape(method(url, headers=bearer(token)), 401)


def test_reuse_in_one_session_leaves_the_users_other_sessions_alone(client, actors, signed_in):
    member = actors.member(actors.partner())
    stolen, other = signed_in(member.user.email), signed_in(member.user.email)
    client.post("/v1/auth/refresh", headers=bearer(stolen["refreshToken"]))
    client.post("/v1/auth/refresh", headers=bearer(stolen["refreshToken"]))
    assert client.get("/v1/auth/me", headers=bearer(other["accessToken"])).status_code == 200
    assert client.post("/v1/auth/refresh", headers=bearer(other["refreshToken"])).status_code == 200


def test_two_refreshes_racing_with_one_token_rotate_once_and_end_the_session(app, actors, signed_in, db_latency):
    """Documented choice: the loser is reuse, so the session ends for both (clients refresh one at a time)."""
    import threading

    from pc_app.redis_client import get_redis

    session = signed_in(actors.member(actors.partner()).user.email)
    barrier = threading.Barrier(2)
    # Both requests check the refresh token against the session (Redis) and then load the user
    # (MongoDB, once what the sign-in kept of it is gone); holding them there means both checked
    # before either rotates.
    get_redis(app).delete(*get_redis(app).keys("pc:auth:kept:*"))
    both_checked = db_latency.rendezvous("aggregate", "users", parties=2)
    answers = []

    def refresh():
        client = app.test_client()
        barrier.wait()
        answers.append(client.post("/v1/auth/refresh", headers=bearer(session["refreshToken"])))

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert both_checked.met and sorted(a.status_code for a in answers) == [200, 401]
    winner = next(a for a in answers if a.status_code == 200).get_json()
    loser = next(a for a in answers if a.status_code == 401).get_json()
    assert "already been used" in loser["message"]
    client = app.test_client()
    assert_error_shape(client.post("/v1/auth/refresh", headers=bearer(winner["refreshToken"])), 401)
    assert_error_shape(client.get("/v1/auth/me", headers=bearer(winner["accessToken"])), 401)


def test_a_token_without_a_session_is_refused(client, actors, app):
    from flask_jwt_extended import create_access_token

    member = actors.member(actors.partner())
    with app.app_context():
        token = create_access_token(identity=member.user)  # what releases before sessions issued
    body = assert_error_shape(client.get("/v1/auth/me", headers=bearer(token)), 401)
    assert "sign in again" in body["message"]


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


def test_sign_out_with_only_the_access_token_ends_the_refresh_token_too(client, actors, signed_in):
    session = signed_in(actors.member(actors.partner()).user.email)
    assert client.post("/v1/auth/sign-out", headers=bearer(session["accessToken"])).status_code == 204
    assert_error_shape(client.get("/v1/auth/me", headers=bearer(session["accessToken"])), 401)
    body = assert_error_shape(client.post("/v1/auth/refresh", headers=bearer(session["refreshToken"])), 401)
    assert "sign in again" in body["message"]


def test_sign_out_after_a_refresh_ends_the_rotated_tokens(client, actors, signed_in):
    session = signed_in(actors.member(actors.partner()).user.email)
    rotated = client.post("/v1/auth/refresh", headers=bearer(session["refreshToken"])).get_json()
    assert client.post("/v1/auth/sign-out", headers=bearer(rotated["accessToken"])).status_code == 204
    assert_error_shape(client.post("/v1/auth/refresh", headers=bearer(rotated["refreshToken"])), 401)


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


def test_a_session_lives_in_redis_as_long_as_its_refresh_token_and_sign_out_removes_it(client, actors, signed_in,
                                                                                      app):
    from pc_app.core.auth.sessions import SESSION_PREFIX
    from pc_app.redis_client import get_redis

    member = actors.member(actors.partner())
    redis = get_redis(app)
    redis.flushdb()  # forget the session the test kit gave the actor
    session = signed_in(member.user.email)
    keys = redis.keys(SESSION_PREFIX + "*")
    assert len(keys) == 1
    assert 29 * 24 * 3600 < redis.ttl(keys[0]) <= 30 * 24 * 3600
    client.post("/v1/auth/refresh", headers=bearer(session["refreshToken"]))
    assert 29 * 24 * 3600 < redis.ttl(keys[0]) <= 30 * 24 * 3600  # rotation keeps the session's end
    client.post("/v1/auth/sign-out", headers=bearer(session["accessToken"]))
    assert redis.keys(SESSION_PREFIX + "*") == []


def test_sessions_hold_across_pods(app_config, actors, signed_in, client):
    """Two apps on one Redis, like two API pods: a sign-out on one is seen by the other."""
    from pc_app import create_app

    other_pod = create_app(dict(app_config)).test_client()
    session = signed_in(actors.member(actors.partner()).user.email)
    assert other_pod.post("/v1/auth/sign-out", headers=bearer(session["accessToken"])).status_code == 204
    assert_error_shape(client.post("/v1/auth/refresh", headers=bearer(session["refreshToken"])), 401)


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


def test_forgot_password_costs_the_same_for_known_and_unknown_email_before_the_answer(app, actors, db_commands):
    """Timing cannot tell them apart: the same answer, no database work, one decision job each."""
    from pc_app.testing import answer_and_cost

    member = actors.member(actors.partner())
    costs = [answer_and_cost(app, db_commands, lambda c, e=email: c.post("/v1/auth/forgot-password",
                                                                         json={"email": e}))
             for email in (member.user.email, "nobody@example.test")]
    assert costs[0] == costs[1]
    assert costs[0]["status"] == 202 and costs[0]["database commands"] == []
    assert costs[0]["jobs queued"] == {"mail": ["pc_app.core.auth.jobs.send_password_reset"]}


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
