"""The whole self-service path: register, verify from the mail, sign in, describe the ICP, activate."""
from pc_app.testing import bearer

from .flows import PASSWORD, register, verify, verify_link_token


def test_register_verify_configure_icp_and_activate(client, outbox, events):
    assert register(client, companyName="Northwind Growth", email="ops@northwind.test").status_code == 202
    [verification] = outbox()
    assert verification["to"] == "ops@northwind.test"

    session = verify(client, verify_link_token(verification), PASSWORD)
    assert session.status_code == 200, session.get_json()
    session = session.get_json()
    headers = bearer(session["accessToken"])
    partner_id = session["partner"]["id"]
    me = client.get("/v1/auth/me", headers=headers)
    assert me.status_code == 200 and me.get_json()["partnerId"] == partner_id
    assert session["partner"]["status"] == "onboarding"
    assert outbox()[0]["subject"].startswith("Welcome")

    checklist = client.get(f"/v1/partners/{partner_id}/onboarding", headers=headers).get_json()
    assert checklist["steps"][0] == {"key": "icpConfigured", "done": False, "required": True}
    assert checklist["canActivate"] is False
    assert client.post(f"/v1/partners/{partner_id}/activate", headers=headers).status_code == 409

    icp = {"industries": ["saas", "fintech"], "companySizes": ["51-200"], "countries": ["US", "GB"],
           "jobTitles": ["Head of Sales"], "seniorities": ["director", "vp"], "maxPrice": 15000}
    saved = client.patch(f"/v1/partners/{partner_id}", json={"icp": icp}, headers=headers)
    assert saved.status_code == 200, saved.get_json()

    checklist = client.get(f"/v1/partners/{partner_id}/onboarding", headers=headers).get_json()
    assert {"key": "icpConfigured", "done": True, "required": True} in checklist["steps"]
    assert checklist["canActivate"] is True and checklist["percent"] == 100

    activated = client.post(f"/v1/partners/{partner_id}/activate", headers=headers)
    assert activated.status_code == 200, activated.get_json()
    assert client.get(f"/v1/partners/{partner_id}", headers=headers).get_json()["status"] == "active"
    assert events.names == ["registration.partner_registered", "registration.partner_verified",
                            "core.partner_updated", "registration.partner_activated"]
