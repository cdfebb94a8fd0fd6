"""The onboarding checklist: assembled from every enabled plugin's steps, percent, canActivate."""
from pc_app import hookimpl
from pc_app.core.models import ICP
from plugins.registration import plugin as registration_plugin

from . import other_steps_plugin
from .flows import assert_error_shape

ICP_BODY = {"industries": ["saas"], "countries": ["us"], "seniorities": ["vp"]}


def _onboarding(client, actor, partner_id=None):
    return client.get(f"/v1/partners/{partner_id or actor.partner_id}/onboarding", headers=actor.headers)


def test_new_partner_has_icp_configured_not_done(client, actors):
    owner = actors.partner_owner(status="onboarding")
    response = _onboarding(client, owner)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"steps": [{"key": "icpConfigured", "done": False, "required": True}],
                                   "completed": 0, "total": 1, "percent": 0, "canActivate": False}


def test_saving_an_icp_through_the_partner_marks_icp_configured_done(client, actors):
    owner = actors.partner_owner(status="onboarding")
    saved = client.patch(f"/v1/partners/{owner.partner_id}", json={"icp": ICP_BODY}, headers=owner.headers)
    assert saved.status_code == 200, saved.get_json()
    body = _onboarding(client, owner).get_json()
    assert body["steps"] == [{"key": "icpConfigured", "done": True, "required": True}]
    assert (body["completed"], body["total"], body["percent"], body["canActivate"]) == (1, 1, 100, True)


def test_an_empty_icp_does_not_count_as_configured(client, actors):
    owner = actors.partner_owner(status="onboarding", icp={"industries": ["saas"]})
    client.patch(f"/v1/partners/{owner.partner_id}", json={"icp": {"maxPrice": 5000}}, headers=owner.headers)
    assert _onboarding(client, owner).get_json()["steps"][0] == {"key": "icpConfigured", "done": False,
                                                                  "required": True}


def test_steps_of_every_enabled_plugin_count_four_steps_at_25_percent_each(app, client, actors):
    app.extensions["pc_plugin_manager"].register(other_steps_plugin, name="registration_other_steps")
    owner = actors.partner_owner(status="onboarding", icp={"industries": ["saas"]})
    body = _onboarding(client, owner).get_json()
    assert {s["key"]: s["done"] for s in body["steps"]} == {
        "icpConfigured": True, "hubspotConnected": True, "firstLeadListed": False, "payoutsEnabled": False}
    assert [s["key"] for s in body["steps"] if s["required"]] == ["icpConfigured"]
    assert (body["completed"], body["total"], body["percent"]) == (2, 4, 50)
    assert body["canActivate"] is True  # only the ICP is required


def test_steps_come_in_the_checklist_order_whatever_the_plugin_order(app, client, actors):
    app.extensions["pc_plugin_manager"].register(other_steps_plugin, name="registration_other_steps")
    owner = actors.partner_owner(status="onboarding")
    keys = [s["key"] for s in _onboarding(client, owner).get_json()["steps"]]
    assert keys == ["icpConfigured", "hubspotConnected", "payoutsEnabled", "firstLeadListed"]


def test_a_disabled_plugins_step_is_absent(client, actors):
    owner = actors.partner_owner(status="onboarding")
    keys = [s["key"] for s in _onboarding(client, owner).get_json()["steps"]]
    assert keys == ["icpConfigured"]  # hubspot, marketplace and payments are not enabled here


def test_percent_is_rounded(app, client, actors):
    class OneMoreStep:
        @staticmethod
        @hookimpl
        def pc_onboarding_steps(partner):
            """Two undone steps, so one of three is done."""
            from pc_app.toolkit import OnboardingStep

            return [OnboardingStep("stepTwo", False, 50), OnboardingStep("stepThree", False, 60)]

    app.extensions["pc_plugin_manager"].register(OneMoreStep, name="one_more_step")
    owner = actors.partner_owner(status="onboarding", icp={"industries": ["saas"]})
    body = _onboarding(client, owner).get_json()
    assert (body["completed"], body["total"], body["percent"]) == (1, 3, 33)


def test_can_activate_only_while_onboarding(client, actors):
    for status, expected in [("onboarding", True), ("active", False), ("suspended", False)]:
        owner = actors.partner_owner(status=status, icp={"industries": ["saas"]})
        assert _onboarding(client, owner).get_json()["canActivate"] is expected, status


def test_members_and_platform_staff_may_read_the_checklist(client, actors):
    partner = actors.partner(status="onboarding")
    assert _onboarding(client, actors.member(partner), str(partner.id)).status_code == 200
    assert _onboarding(client, actors.admin(), str(partner.id)).status_code == 200


def test_another_partners_checklist_is_404(client, actors):
    owner = actors.partner_owner(status="onboarding")
    other = actors.partner(status="onboarding")
    assert_error_shape(_onboarding(client, owner, str(other.id)), 404)
    assert_error_shape(_onboarding(client, owner, "not-an-id"), 404)
    assert_error_shape(_onboarding(client, owner, "0" * 24), 404)


def test_the_checklist_needs_a_signed_in_user(client, actors):
    partner = actors.partner(status="onboarding")
    assert_error_shape(client.get(f"/v1/partners/{partner.id}/onboarding"), 401)


def test_hook_pc_onboarding_steps_registration_reports_icp_configured(app_ctx, actors):
    partner = actors.partner(status="onboarding")
    [step] = registration_plugin.pc_onboarding_steps(partner)
    assert (step.key, step.done, step.position, step.required) == ("icpConfigured", False, 10, True)
    partner.icp = ICP(job_titles=["head of sales"])
    assert registration_plugin.pc_onboarding_steps(partner)[0].done is True
