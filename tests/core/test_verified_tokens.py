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
    assert session["accessToken"] not in kept.entries
    for _ in range(3):
        assert client.get("/v1/auth/me", headers=bearer(session["accessToken"])).status_code == 200
    assert session["accessToken"] in kept.entries
    # What a signature cannot tell is still checked: signing out refuses the kept token at once.
    assert client.post("/v1/auth/sign-out", headers=bearer(session["accessToken"])).status_code == 204
    assert_error_shape(client.get("/v1/auth/me", headers=bearer(session["accessToken"])), 401)


def test_a_kept_token_is_refused_once_it_expires(client, actors, app):
    member = actors.member(actors.partner())
    token = _token_expiring_in(app, member.user, 4)  # exp is whole seconds: at least 3 s to use it first
    assert client.get("/v1/auth/me", headers=bearer(token)).status_code == 200
    assert token in of_app(app).entries
    time.sleep(max(0.0, of_app(app).entries[token][0]["exp"] - time.time()) + 0.05)
    body = assert_error_shape(client.get("/v1/auth/me", headers=bearer(token)), 401)
    assert "expired" in body["message"]
    assert token not in of_app(app).entries


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
        kept.keep(f"t{n}", {"sub": str(n), "exp": time.time() + 60}, {"alg": "HS256"})
    assert len(kept) == 3
    assert kept.get("t0", 0) is None and kept.get("t1", 0) is None
    claims, header = kept.get("t4", 0)
    claims["type"], header["kid"] = "changed by a caller", "too"
    assert kept.get("t4", 0) == ({"sub": "4", "exp": claims["exp"]}, {"alg": "HS256"})  # callers get copies


def _answer(response) -> tuple[int, object]:
    return response.status_code, response.get_json()


def test_a_kept_token_is_answered_as_the_library_answers_it(app_config, app, client, actors, signed_in):
    """Each request twice: once by an app that has not seen the token (flask-jwt-extended's whole
    path), once by the app that keeps it (``verify_in_request``'s short path): the same answers."""
    from pc_app import create_app
    from pc_app.core.models import User

    member = actors.member(actors.partner())
    session = signed_in(member.user.email)
    access, refresh = session["accessToken"], session["refreshToken"]
    kept = of_app(app)
    assert client.get("/v1/auth/me", headers=bearer(access)).status_code == 200
    assert access in kept.entries

    def both(method: str, path: str, headers: dict) -> tuple:
        fresh = create_app(app_config).test_client()  # the same secret, nothing kept
        return (_answer(fresh.open(path, method=method, headers=headers)),
                _answer(client.open(path, method=method, headers=headers)))

    # kept and live: the user it names, with the claims it carries
    whole, short = both("GET", "/v1/auth/me", bearer(access))
    assert whole == short and short[0] == 200 and short[1]["email"] == member.user.email
    # a refresh token where an access token is needed, and the other way round: refused alike
    for method, path, token in (("GET", "/v1/auth/me", refresh), ("POST", "/v1/auth/refresh", access)):
        client.open(path, method=method, headers=bearer(token))  # keep it (it verifies; its type is refused)
        assert token in kept.entries
        whole, short = both(method, path, bearer(token))
        assert whole == short and short[0] >= 400, (path, short)
    # other ways of writing the header are parsed by the library, as before
    for header in (f"Bearer  {access}", f"bearer {access}", f"Bearer {access}, Basic eA==", f"Bearer {access} x"):
        whole, short = both("GET", "/v1/auth/me", {"Authorization": header})
        assert whole == short, header
    # what the bytes cannot tell is asked every time: a deactivated user, then an ended session
    with app.app_context():
        User._get_collection().update_one({"_id": member.user.id}, {"$set": {"is_active": False}})
    whole, short = both("GET", "/v1/auth/me", bearer(access))
    assert whole == short and short[0] == 401 and "no longer valid" in short[1]["message"]
    with app.app_context():
        User._get_collection().update_one({"_id": member.user.id}, {"$set": {"is_active": True}})
    assert client.get("/v1/auth/me", headers=bearer(access)).status_code == 200
    assert client.post("/v1/auth/sign-out", headers=bearer(access)).status_code == 204
    whole, short = both("GET", "/v1/auth/me", bearer(access))
    assert whole == short and short[0] == 401 and "revoked" in short[1]["message"]


def test_a_kept_token_is_not_parsed_again(app, client, actors, signed_in):
    """The short path answers from the memory alone: bytes kept under claims they do not carry pass."""
    member = actors.member(actors.partner())
    access = signed_in(member.user.email)["accessToken"]
    assert client.get("/v1/auth/me", headers=bearer(access)).status_code == 200
    kept = of_app(app)
    claims, header = kept.get(access, 0)
    kept.keep("kept.but-not.a-jwt", claims, header)
    response = client.get("/v1/auth/me", headers=bearer("kept.but-not.a-jwt"))
    assert response.status_code == 200 and response.get_json()["email"] == member.user.email
