"""A token is verified once per process and app (``core.auth.verified_tokens``), never past its expiry or across secrets."""
import datetime as dt
import time

from pc_app.core.auth.verified_tokens import VerifiedTokens, of_app
from pc_app.testing import bearer

from .api_checks import assert_error_shape


def _token_expiring_in(app, user, seconds: float) -> str:
    from flask_jwt_extended import create_access_token

    from pc_app.core.auth import sessions

    with app.app_context():
        session_id, _refresh = sessions.start_session(600)
        return create_access_token(identity=user, expires_delta=dt.timedelta(seconds=seconds),
                                   additional_claims={"sid": session_id})


def test_a_token_is_verified_once_and_asked_for_its_session_every_time(client, actors, signed_in, app):
    session = signed_in(actors.member(actors.partner()).user.email)
    kept = of_app(app)
    assert session["accessToken"] not in kept._claims
    for _ in range(3):
        assert client.get("/v1/auth/me", headers=bearer(session["accessToken"])).status_code == 200
    assert session["accessToken"] in kept._claims
    # What a signature cannot tell is still checked: signing out refuses the kept token at once.
    assert client.post("/v1/auth/sign-out", headers=bearer(session["accessToken"])).status_code == 204
    assert_error_shape(client.get("/v1/auth/me", headers=bearer(session["accessToken"])), 401)


def test_a_kept_token_is_refused_once_it_expires(client, actors, app):
    member = actors.member(actors.partner())
    token = _token_expiring_in(app, member.user, 4)  # exp is whole seconds: at least 3 s to use it first
    assert client.get("/v1/auth/me", headers=bearer(token)).status_code == 200
    assert token in of_app(app)._claims
    time.sleep(max(0.0, of_app(app)._claims[token]["exp"] - time.time()) + 0.05)
    body = assert_error_shape(client.get("/v1/auth/me", headers=bearer(token)), 401)
    assert "expired" in body["message"]
    assert token not in of_app(app)._claims


def test_refused_tokens_are_not_kept(client, actors, app):
    from flask_jwt_extended import create_access_token

    member = actors.member(actors.partner())
    with app.app_context():
        expired = create_access_token(identity=member.user, expires_delta=dt.timedelta(seconds=-5))
    for token in (expired, "not.a.jwt", expired[:-2] + ("AA" if not expired.endswith("AA") else "BB")):
        assert_error_shape(client.get("/v1/auth/me", headers=bearer(token)), 401)
    assert len(of_app(app)) == 0


def test_a_token_verified_by_one_app_is_refused_by_an_app_with_another_secret(app_config, client, actors, signed_in):
    from pc_app import create_app

    session = signed_in(actors.member(actors.partner()).user.email)
    assert client.get("/v1/auth/me", headers=bearer(session["accessToken"])).status_code == 200
    other = create_app({**app_config, "JWT_SECRET": "another-secret-" + "y" * 40}).test_client()
    assert_error_shape(other.get("/v1/auth/me", headers=bearer(session["accessToken"])), 401)


def test_the_kept_tokens_are_bounded_oldest_first():
    kept = VerifiedTokens(size=3)
    for n in range(5):
        kept.keep(f"t{n}", {"sub": str(n), "exp": time.time() + 60})
    assert len(kept) == 3
    assert kept.get("t0", 0) is None and kept.get("t1", 0) is None
    claims = kept.get("t4", 0)
    claims["type"] = "changed by a caller"
    assert "type" not in kept.get("t4", 0)  # callers get a copy
