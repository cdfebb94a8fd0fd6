"""Suspending and reinstating partners (platform staff only); suspended partners cannot trade."""
import pytest

from pc_app.core.models import Partner

from pc_app.testing import EVENT_RECORDER, database_unchanged
from .flows import assert_error_shape

TRADING = {"registration_trading_route": __name__.rpartition(".")[0] + ".trading_route_plugin"}
ICP = {"industries": ["saas"]}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PC_PLUGINS": ["registration", "event_recorder", "registration_trading_route"],
            "PC_EXTRA_PLUGINS": {**EVENT_RECORDER, **TRADING}}


def _suspend(client, actor, partner_id, reason="Chargebacks under review"):
    return client.post(f"/v1/partners/{partner_id}/suspend", json={"reason": reason}, headers=actor.headers)


def _reinstate(client, actor, partner_id):
    return client.post(f"/v1/partners/{partner_id}/reinstate", headers=actor.headers)


def _trade(client, actor):
    return client.post("/v1/registration-test/trade", headers=actor.headers)


def test_platform_suspends_an_active_partner_with_a_reason(client, app, actors, events):
    owner = actors.partner_owner(status="active", icp=ICP)
    response = _suspend(client, actors.admin(), owner.partner_id)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "suspended" and body["statusReason"] == "Chargebacks under review"
    with app.app_context():
        assert Partner.objects.get(id=owner.partner_id).status == "suspended"
    assert events.names == ["registration.partner_suspended"]
    assert events[0].payload["reason"] == "Chargebacks under review"


def test_suspended_partners_users_can_sign_in_and_read_their_partner_but_not_trade(client, actors):
    owner = actors.partner_owner(status="active", icp=ICP)
    member = actors.member(owner.partner)
    assert _trade(client, member).status_code == 200
    _suspend(client, actors.admin(), owner.partner_id)
    signed_in = client.post("/v1/auth/sign-in", json={"email": member.user.email, "password": member.password})
    assert signed_in.status_code == 200 and signed_in.get_json()["partner"]["status"] == "suspended"
    partner = client.get(f"/v1/partners/{owner.partner_id}", headers=member.headers)
    assert partner.status_code == 200 and partner.get_json()["status"] == "suspended"
    for actor in (owner, member):
        body = assert_error_shape(_trade(client, actor), 403)
        assert "suspended" in body["message"]


def test_platform_reinstates_an_active_partner_back_to_active(client, actors, events):
    owner = actors.partner_owner(status="active", icp=ICP)
    owner_staff = actors.owner()
    _suspend(client, owner_staff, owner.partner_id)
    response = _reinstate(client, owner_staff, owner.partner_id)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "active"
    assert response.get_json()["statusReason"] is None
    assert _trade(client, owner).status_code == 200
    assert events.names == ["registration.partner_suspended", "registration.partner_reinstated"]


def test_reinstating_keeps_the_date_of_the_first_activation(client, actors):
    owner = actors.partner_owner(status="active", icp=ICP)
    first_activation = client.get(f"/v1/partners/{owner.partner_id}", headers=owner.headers).get_json()["activatedAt"]
    staff = actors.owner()
    _suspend(client, staff, owner.partner_id)
    assert _reinstate(client, staff, owner.partner_id).get_json()["activatedAt"] == first_activation


def test_a_partner_suspended_while_onboarding_returns_to_onboarding(client, actors):
    owner = actors.partner_owner(status="onboarding")
    admin = actors.admin()
    _suspend(client, admin, owner.partner_id)
    assert _reinstate(client, admin, owner.partner_id).get_json()["status"] == "onboarding"


def test_a_partner_suspended_before_verifying_returns_to_pending_verification(client, actors):
    partner = actors.partner(status="pending_verification")
    admin = actors.admin()
    _suspend(client, admin, str(partner.id))
    assert _reinstate(client, admin, str(partner.id)).get_json()["status"] == "pending_verification"


def test_partner_users_cannot_suspend_or_reinstate_even_their_own_partner(client, app, actors):
    owner = actors.partner_owner(status="active", icp=ICP)
    member = actors.member(owner.partner)
    with database_unchanged(app):
        assert "platform" in assert_error_shape(_suspend(client, owner, owner.partner_id), 403)["message"]
        assert_error_shape(_suspend(client, member, owner.partner_id), 403)
    with app.app_context():
        Partner.objects(id=owner.partner_id).update(set__status="suspended")
    with database_unchanged(app):
        assert_error_shape(_reinstate(client, owner, owner.partner_id), 403)


def test_suspending_needs_a_reason(client, app, actors):
    partner = actors.partner(status="active")
    admin = actors.admin()
    with database_unchanged(app):
        for body in ({}, {"reason": "   "}, {"reason": "fraud\u0000"}):
            response = client.post(f"/v1/partners/{partner.id}/suspend", json=body, headers=admin.headers)
            assert list(assert_error_shape(response, 422)["errors"]) == ["reason"]


def test_suspending_twice_and_reinstating_an_unsuspended_partner_are_409(client, app, actors):
    partner_id = str(actors.partner(status="active").id)
    admin = actors.admin()
    assert _suspend(client, admin, partner_id).status_code == 200
    with database_unchanged(app):
        assert "already suspended" in assert_error_shape(_suspend(client, admin, partner_id), 409)["message"]
    assert _reinstate(client, admin, partner_id).status_code == 200
    with database_unchanged(app):
        assert_error_shape(_reinstate(client, admin, partner_id), 409)


def test_suspending_an_unknown_partner_is_404(client, app, actors):
    admin = actors.admin()
    with database_unchanged(app):
        assert_error_shape(_suspend(client, admin, "a" * 24), 404)
        assert_error_shape(_reinstate(client, admin, "nope"), 404)
