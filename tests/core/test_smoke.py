def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["X-Request-ID"]


def test_sign_in_returns_tokens_and_user(client, actors):
    partner_owner = actors.partner_owner()
    response = client.post("/v1/auth/sign-in", json={"email": partner_owner.user.email,
                                                     "password": partner_owner.password})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["user"]["partnerId"] == partner_owner.partner_id
    me = client.get("/v1/auth/me", headers={"Authorization": f"Bearer {body['accessToken']}"})
    assert me.status_code == 200, me.get_json()
    assert me.get_json()["partner"]["id"] == partner_owner.partner_id
