"""Activating a partner: its owner or platform staff, only with the required steps done."""
import threading

from pc_app.core.models import Partner
from pc_app.testing import database_unchanged

from .flows import assert_error_shape

ICP = {"industries": ["saas"]}


def _activate(client, actor, partner_id=None):
    return client.post(f"/v1/partners/{partner_id or actor.partner_id}/activate", headers=actor.headers)


def test_owner_activates_a_partner_with_its_icp_configured(client, app, actors, events):
    owner = actors.partner_owner(status="onboarding", icp=ICP)
    response = _activate(client, owner)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "active" and body["activatedAt"]
    with app.app_context():
        assert Partner.objects.get(id=owner.partner_id).status == "active"
    assert events.names == ["registration.partner_activated"]
    assert events[0].partner_ids == (owner.partner_id,) and events[0].actor == f"user:{owner.id}"


def test_activation_without_icp_is_409_naming_icp_configured(client, app, actors, events):
    owner = actors.partner_owner(status="onboarding")
    with database_unchanged(app):
        body = assert_error_shape(_activate(client, owner), 409)
    assert list(body["errors"]) == ["icpConfigured"]
    assert "icpConfigured" in body["message"]
    with app.app_context():
        assert Partner.objects.get(id=owner.partner_id).status == "onboarding"
    assert events.names == []


def test_member_who_is_not_the_owner_gets_403(client, app, actors):
    partner = actors.partner(status="onboarding", icp=ICP)
    member = actors.member(partner)
    with database_unchanged(app):
        body = assert_error_shape(_activate(client, member, str(partner.id)), 403)
    assert "owner" in body["message"]
    with app.app_context():
        assert Partner.objects.get(id=partner.id).status == "onboarding"


def test_another_partners_id_is_404(client, app, actors):
    owner = actors.partner_owner(status="onboarding", icp=ICP)
    other = actors.partner(status="onboarding", icp=ICP)
    with database_unchanged(app):
        assert_error_shape(_activate(client, owner, str(other.id)), 404)
        assert_error_shape(_activate(client, owner, "f" * 24), 404)


def test_platform_staff_activate_an_onboarding_partner(client, actors):
    partner = actors.partner(status="onboarding", icp=ICP)
    response = _activate(client, actors.admin(), str(partner.id))
    assert response.status_code == 200 and response.get_json()["status"] == "active"


def test_platform_staff_may_activate_a_partner_still_pending_verification(client, actors):
    partner = actors.partner(status="pending_verification", icp=ICP)
    response = _activate(client, actors.owner(), str(partner.id))
    assert response.status_code == 200 and response.get_json()["status"] == "active"


def test_platform_staff_also_need_the_icp(client, app, actors):
    partner = actors.partner(status="onboarding")
    admin = actors.admin()
    with database_unchanged(app):
        body = assert_error_shape(_activate(client, admin, str(partner.id)), 409)
    assert list(body["errors"]) == ["icpConfigured"]


def test_activating_an_active_partner_is_409(client, app, actors):
    owner = actors.partner_owner(status="active", icp=ICP)
    with database_unchanged(app):
        body = assert_error_shape(_activate(client, owner), 409)
    assert "already active" in body["message"]


def test_a_suspended_partner_cannot_activate_itself(client, app, actors):
    owner = actors.partner_owner(status="suspended", icp=ICP)
    with database_unchanged(app):
        body = assert_error_shape(_activate(client, owner), 409)
    assert "suspended" in body["message"]
    with app.app_context():
        assert Partner.objects.get(id=owner.partner_id).status == "suspended"


def test_two_racing_activations_activate_once(app, actors, events, db_latency):
    owner = actors.partner_owner(status="onboarding", icp=ICP)
    barrier = threading.Barrier(2)
    # Both requests reach the conditional update before either runs it, so both read the partner
    # (from MongoDB or from what the session check kept) while it was still onboarding.
    both_read = db_latency.rendezvous("findAndModify", "partners", parties=2, when="before")
    statuses = []

    def activate():
        client = app.test_client()
        barrier.wait()
        statuses.append(_activate(client, owner).status_code)

    threads = [threading.Thread(target=activate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert both_read.met and sorted(statuses) == [200, 409]
    assert events.names == ["registration.partner_activated"]
    with app.app_context():
        assert Partner.objects.get(id=owner.partner_id).status == "active"
