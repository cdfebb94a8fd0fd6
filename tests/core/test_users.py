"""Users: invitations with a set-password link, roles, listing, activation (PRODUCT.md §2, §4)."""
import datetime as dt

from pc_app.testing import bearer, database_unchanged

from .api_checks import NEW_PASSWORD, assert_error_shape, link_token, sign_in


def _invite(client, headers, **body):
    body.setdefault("name", "Invited Person")
    return client.post("/v1/users", headers=headers, json=body)


# --- invitation flow -------------------------------------------------------------------------

def test_partner_owner_invites_a_member_who_sets_a_password_and_signs_in(client, actors, outbox):
    owner = actors.partner_owner()
    response = _invite(client, owner.headers, email="New.Member@Example.test")
    assert response.status_code == 201, response.get_json()
    user = response.get_json()
    assert user["email"] == "new.member@example.test"
    assert user["partnerId"] == owner.partner_id
    assert user["role"] == "user" and user["isPartnerOwner"] is False
    assert user["hasPassword"] is False

    [mail] = outbox()
    assert mail["to"] == "new.member@example.test"
    token = link_token(mail["text"])
    assert f"http://frontend.test/reset-password?token={token}" in mail["html"]
    assert sign_in(client, "new.member@example.test", NEW_PASSWORD).status_code == 401

    accepted = client.post("/v1/auth/reset-password", json={"token": token, "password": NEW_PASSWORD})
    assert accepted.status_code == 200, accepted.get_json()
    session = sign_in(client, "new.member@example.test", NEW_PASSWORD)
    assert session.status_code == 200
    assert session.get_json()["user"]["partnerId"] == owner.partner_id


def test_invitation_link_is_valid_72_hours(client, actors, outbox, app):
    from pc_app.core.models import UserToken, as_utc, utcnow

    owner = actors.partner_owner()
    user_id = _invite(client, owner.headers, email="later@example.test").get_json()["id"]
    token = link_token(outbox()[0]["text"])
    with app.app_context():
        stored = UserToken.objects(user=user_id).get()
        assert stored.purpose == "invite"
        assert dt.timedelta(hours=71) < as_utc(stored.expires_at) - utcnow() <= dt.timedelta(hours=72)
        UserToken.objects(user=user_id).update(set__expires_at=utcnow() - dt.timedelta(minutes=1))
    body = assert_error_shape(client.post("/v1/auth/reset-password", json={"token": token, "password": NEW_PASSWORD}),
                              400)
    assert body["errors"] == {"token": ["token_expired"]}


def test_invitation_password_must_follow_the_policy(client, actors, outbox):
    owner = actors.partner_owner()
    _invite(client, owner.headers, email="weak@example.test")
    token = link_token(outbox()[0]["text"])
    body = assert_error_shape(client.post("/v1/auth/reset-password",
                                          json={"token": token, "password": "weak@example.test"}), 422)
    assert "password" in body["errors"]


def test_platform_invites_a_partner_owner_for_any_partner(client, actors, outbox):
    admin = actors.admin()
    partner = actors.partner()
    response = _invite(client, admin.headers, email="boss@example.test", partnerId=str(partner.id),
                       isPartnerOwner=True)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["isPartnerOwner"] is True
    assert response.get_json()["partnerId"] == str(partner.id)
    assert outbox()[0]["to"] == "boss@example.test"


def test_owner_creates_an_admin(client, actors, outbox):
    response = _invite(client, actors.owner().headers, email="staff@example.test", role="admin")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["role"] == "admin"
    assert response.get_json()["partnerId"] is None


def test_admin_cannot_create_admins(app, client, actors):
    admin = actors.admin()
    with database_unchanged(app):
        assert_error_shape(_invite(client, admin.headers, email="s@example.test", role="admin"), 403)


def test_nobody_creates_a_second_owner(app, client, actors):
    owner = actors.owner()
    with database_unchanged(app):
        body = assert_error_shape(_invite(client, owner.headers, email="o@example.test", role="owner"), 422)
    assert "role" in body["errors"]


def test_platform_user_invite_needs_an_existing_partner(app, client, actors):
    admin = actors.admin()
    with database_unchanged(app):
        body = assert_error_shape(_invite(client, admin.headers, email="x@example.test"), 422)
        assert "partnerId" in body["errors"]
        assert_error_shape(_invite(client, admin.headers, email="x@example.test", partnerId="a" * 24), 404)


def test_member_cannot_invite(app, client, actors):
    member = actors.member(actors.partner())
    with database_unchanged(app):
        assert_error_shape(_invite(client, member.headers, email="x@example.test"), 403)


def test_partner_owner_cannot_invite_into_a_foreign_partner(app, client, actors):
    owner = actors.partner_owner()
    other = actors.partner()
    with database_unchanged(app):
        assert_error_shape(_invite(client, owner.headers, email="x@example.test", partnerId=str(other.id)), 404)


def test_partner_owner_cannot_invite_platform_staff(app, client, actors):
    owner = actors.partner_owner()
    with database_unchanged(app):
        assert_error_shape(_invite(client, owner.headers, email="x@example.test", role="admin"), 403)


def test_inviting_a_taken_email_is_409(app, client, actors, outbox):
    owner = actors.partner_owner()
    assert _invite(client, owner.headers, email="dup@example.test").status_code == 201
    with database_unchanged(app):
        body = assert_error_shape(_invite(client, owner.headers, email="DUP@example.test"), 409)
    assert "email" in body["errors"]
    assert len(outbox()) == 1


def test_invite_validates_fields(app, client, actors):
    owner = actors.partner_owner()
    with database_unchanged(app):
        body = assert_error_shape(client.post("/v1/users", headers=owner.headers,
                                              json={"email": "not-an-email", "nickname": "x"}), 422)
    assert {"email", "name", "nickname"} <= set(body["errors"])


def test_blank_or_nul_names_are_refused_and_nobody_is_invited(app, client, actors):
    owner = actors.partner_owner()
    with database_unchanged(app):
        for name in ("   ", "\t\n", "Ada\u0000"):
            body = assert_error_shape(_invite(client, owner.headers, email="ada@example.test", name=name), 422)
            assert list(body["errors"]) == ["name"]


# --- listing -----------------------------------------------------------------------------------

def test_platform_lists_every_user_and_filters_by_partner(client, actors):
    admin = actors.admin()
    first, second = actors.partner(), actors.partner()
    actors.member(first)
    actors.member(first)
    actors.member(second)
    everyone = client.get("/v1/users", headers=admin.headers).get_json()
    assert everyone["total"] == 4
    filtered = client.get(f"/v1/users?partnerId={first.id}", headers=admin.headers).get_json()
    assert filtered["total"] == 2
    assert {u["partnerId"] for u in filtered["items"]} == {str(first.id)}


def test_partner_owner_lists_only_its_partners_users(client, actors):
    owner = actors.partner_owner()
    actors.member(owner.partner)
    actors.member(actors.partner())
    body = client.get("/v1/users", headers=owner.headers).get_json()
    assert body["total"] == 2
    assert {u["partnerId"] for u in body["items"]} == {owner.partner_id}
    # Asking for another partner answers as a foreign id does (404), as every list's partnerId does.
    assert_error_shape(client.get(f"/v1/users?partnerId={'b' * 24}", headers=owner.headers), 404)
    assert client.get(f"/v1/users?partnerId={owner.partner_id}", headers=owner.headers).get_json()["total"] == 2


def test_user_list_filters_by_role_activity_and_text(client, actors):
    admin = actors.admin()
    partner = actors.partner()
    actors.user(partner=partner, name="Grace Hopper", email="grace@example.test")
    actors.user(partner=partner, is_active=False, email="gone@example.test")
    admins = client.get("/v1/users?role=admin", headers=admin.headers).get_json()
    assert [u["id"] for u in admins["items"]] == [admin.id]
    inactive = client.get("/v1/users?isActive=false", headers=admin.headers).get_json()
    assert [u["email"] for u in inactive["items"]] == ["gone@example.test"]
    found = client.get("/v1/users?q=HOPPER", headers=admin.headers).get_json()
    assert [u["email"] for u in found["items"]] == ["grace@example.test"]
    paged = client.get("/v1/users?perPage=1&page=2", headers=admin.headers).get_json()
    assert (paged["total"], paged["pages"], len(paged["items"])) == (3, 3, 1)


def test_member_cannot_list_users(client, actors):
    assert_error_shape(client.get("/v1/users", headers=actors.member(actors.partner()).headers), 403)


def test_user_list_never_shows_password_hashes(client, actors):
    body = client.get("/v1/users", headers=actors.owner().headers).get_json()
    assert "password" not in str(body).lower().replace("haspassword", "")
    assert "argon2" not in str(body)


# --- activation ----------------------------------------------------------------------------

def test_deactivated_user_is_refused_on_every_request_and_at_sign_in(client, actors):
    owner = actors.partner_owner()
    member = actors.member(owner.partner)
    assert client.get("/v1/leads", headers=member.headers).status_code == 200
    response = client.patch(f"/v1/users/{member.id}/status", headers=owner.headers, json={"isActive": False})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["isActive"] is False
    assert_error_shape(client.get("/v1/leads", headers=member.headers), 401)
    assert_error_shape(client.get("/v1/auth/me", headers=member.headers), 401)
    assert_error_shape(sign_in(client, member.user.email), 401)


def test_reactivated_user_can_sign_in_again(client, actors):
    admin = actors.admin()
    member = actors.member(actors.partner())
    client.patch(f"/v1/users/{member.id}/status", headers=admin.headers, json={"isActive": False})
    client.patch(f"/v1/users/{member.id}/status", headers=admin.headers, json={"isActive": True})
    assert sign_in(client, member.user.email).status_code == 200


def test_deactivated_users_refresh_token_is_refused(client, actors, signed_in):
    admin = actors.admin()
    member = actors.member(actors.partner())
    session = signed_in(member.user.email)
    client.patch(f"/v1/users/{member.id}/status", headers=admin.headers, json={"isActive": False})
    assert_error_shape(client.post("/v1/auth/refresh", headers=bearer(session["refreshToken"])), 401)


def _set_active(client, actor, user_id, is_active):
    response = client.patch(f"/v1/users/{user_id}/status", headers=actor.headers, json={"isActive": is_active})
    assert response.status_code == 200, response.get_json()
    return response


def test_a_reset_link_mailed_before_deactivation_does_not_let_the_user_back_in(client, actors, outbox, app):
    from pc_app.core.models import User

    admin = actors.admin()
    member = actors.member(actors.partner())
    client.post("/v1/auth/forgot-password", json={"email": member.user.email})
    token = link_token(outbox()[0]["text"])
    _set_active(client, admin, member.id, False)
    body = assert_error_shape(client.post("/v1/auth/reset-password", json={"token": token, "password": NEW_PASSWORD}),
                              400)
    assert body["errors"] == {"token": ["token_inactive"]} and "deactivated" in body["message"]
    with app.app_context():
        stored = User.objects.get(id=member.id)
    assert stored.is_active is False and stored.password_hash == member.user.password_hash
    assert_error_shape(sign_in(client, member.user.email, NEW_PASSWORD), 401)
    # forgot-password for a deactivated user mails nothing new
    client.post("/v1/auth/forgot-password", json={"email": member.user.email})
    assert len(outbox()) == 1


def test_an_invitation_link_of_a_deactivated_user_is_refused(client, actors, outbox, app):
    from pc_app.core.models import User, UserToken

    owner = actors.partner_owner()
    invited = _invite(client, owner.headers, email="invited@example.test").get_json()
    token = link_token(outbox()[0]["text"])
    _set_active(client, owner, invited["id"], False)
    with app.app_context():
        assert UserToken.objects(user=invited["id"], used_at=None).count() == 0
    body = assert_error_shape(client.post("/v1/auth/reset-password", json={"token": token, "password": NEW_PASSWORD}),
                              400)
    assert body["errors"] == {"token": ["token_inactive"]}
    with app.app_context():
        assert User.objects.get(id=invited["id"]).password_hash is None
    assert_error_shape(sign_in(client, "invited@example.test", NEW_PASSWORD), 401)


def test_reactivation_does_not_revive_old_links(client, actors, outbox):
    admin = actors.admin()
    member = actors.member(actors.partner())
    client.post("/v1/auth/forgot-password", json={"email": member.user.email})
    token = link_token(outbox()[0]["text"])
    _set_active(client, admin, member.id, False)
    _set_active(client, admin, member.id, True)
    body = assert_error_shape(client.post("/v1/auth/reset-password", json={"token": token, "password": NEW_PASSWORD}),
                              400)
    assert body["errors"] == {"token": ["token_used"]}
    assert sign_in(client, member.user.email).status_code == 200  # the old password works again


def test_deactivation_ends_every_session_including_refresh_tokens(client, actors, signed_in):
    admin = actors.admin()
    member = actors.member(actors.partner())
    first, second = signed_in(member.user.email), signed_in(member.user.email)
    _set_active(client, admin, member.id, False)
    _set_active(client, admin, member.id, True)
    for session in (first, second):
        assert_error_shape(client.get("/v1/auth/me", headers=bearer(session["accessToken"])), 401)
        assert_error_shape(client.post("/v1/auth/refresh", headers=bearer(session["refreshToken"])), 401)


def test_partner_owner_cannot_change_a_foreign_user(app, client, actors):
    owner = actors.partner_owner()
    stranger = actors.member(actors.partner())
    with database_unchanged(app):
        assert_error_shape(client.patch(f"/v1/users/{stranger.id}/status", headers=owner.headers,
                                        json={"isActive": False}), 404)


def test_member_cannot_change_status(app, client, actors):
    partner = actors.partner()
    member, colleague = actors.member(partner), actors.member(partner)
    with database_unchanged(app):
        assert_error_shape(client.patch(f"/v1/users/{colleague.id}/status", headers=member.headers,
                                        json={"isActive": False}), 403)


def test_nobody_changes_their_own_status(app, client, actors):
    owner = actors.partner_owner()
    with database_unchanged(app):
        assert_error_shape(client.patch(f"/v1/users/{owner.id}/status", headers=owner.headers,
                                        json={"isActive": False}), 409)


def test_admin_cannot_deactivate_the_owner_or_other_admins(app, client, actors):
    admin, other_admin, owner = actors.admin(), actors.admin(), actors.owner()
    with database_unchanged(app):
        for target in (owner, other_admin):
            assert_error_shape(client.patch(f"/v1/users/{target.id}/status", headers=admin.headers,
                                            json={"isActive": False}), 403)


def test_status_of_unknown_or_malformed_user_id_is_404(client, actors):
    admin = actors.admin()
    for user_id in ("c" * 24, "not-an-id"):
        assert_error_shape(client.patch(f"/v1/users/{user_id}/status", headers=admin.headers,
                                        json={"isActive": False}), 404)


def test_status_body_is_validated(app, client, actors):
    admin = actors.admin()
    member = actors.member(actors.partner())
    with database_unchanged(app):
        body = assert_error_shape(client.patch(f"/v1/users/{member.id}/status", headers=admin.headers,
                                               json={"isActive": "maybe"}), 422)
    assert list(body["errors"]) == ["isActive"]


def test_other_partners_users_coming_and_going_leave_a_partners_kept_user_list(app, client, actors, outbox,
                                                                              db_commands):
    """Every write to a user names its partner: another partner's (or platform staff's) sign-ins, invitations,
    password resets and (de)activations end nothing of my kept list; my own member's sign-in shows at once."""
    mine = actors.partner_owner()
    member = actors.member(mine.partner)
    theirs, staff = actors.partner_owner(), actors.admin()
    first = client.get("/v1/users", headers=mine.headers).get_json()
    assert first["total"] == 2

    assert sign_in(client, theirs.user.email).status_code == 200
    assert sign_in(client, staff.user.email).status_code == 200   # platform staff: a user of no partner
    invited = _invite(client, theirs.headers, email="their.member@example.test")
    assert invited.status_code == 201, invited.get_json()
    token = link_token(outbox()[-1]["text"])
    assert client.post("/v1/auth/reset-password", json={"token": token, "password": NEW_PASSWORD}).status_code == 200
    status_url = f"/v1/users/{invited.get_json()['id']}/status"
    for active in (False, True):
        assert client.patch(status_url, json={"isActive": active}, headers=theirs.headers).status_code == 200
    with db_commands:
        again = client.get("/v1/users", headers=mine.headers).get_json()
    assert (db_commands.commands, again) == ([], first)

    assert sign_in(client, member.user.email).status_code == 200
    def signed_in_at(body):
        return {user["email"]: user["lastSignInAt"] for user in body["items"]}[member.user.email]

    assert signed_in_at(first) is None
    assert signed_in_at(client.get("/v1/users", headers=mine.headers).get_json()) is not None
