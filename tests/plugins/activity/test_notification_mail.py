"""Notification e-mail: suspension and reinstatement reach the owners, with a one-click unsubscribe that needs no sign-in."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from .receiver import Receiver


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PC_PLUGINS": [*app_config["PC_PLUGINS"], "registration"]}


def suspend(client, admin, partner_id, reason="Chargebacks under review"):
    response = client.post(f"/v1/partners/{partner_id}/suspend", json={"reason": reason}, headers=admin.headers)
    assert response.status_code == 200, response.get_json()


def one_click_url(message) -> str:
    header = message["headers"]["List-Unsubscribe"]
    assert header.startswith("<http://api.test/v1/notifications/unsubscribe?token=") and header.endswith(">")
    return header[1:-1]


def test_suspension_and_reinstatement_mail_the_owners_only_with_unsubscribe_headers(
        client, actors, activities, outbox):
    owner = actors.partner_owner(name="Suspended Co")
    member = actors.member(owner.partner)
    admin = actors.admin()
    suspend(client, admin, owner.partner_id)
    activities.fan_out()

    [mail] = outbox()
    assert mail["to"] == owner.user.email and mail["subject"] == "Your Partner Connector account has been suspended"
    assert "Chargebacks under review" in mail["text"] and "Chargebacks under review" in mail["html"]
    assert mail["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = parse_qs(urlsplit(one_click_url(mail)).query)["token"][0]
    assert f"http://frontend.test/unsubscribe?token={token}" in mail["text"]
    assert [i["type"] for i in activities.feed(owner)["items"]] == ["registration.partner_suspended"]
    assert activities.feed(member)["items"] == []  # settings events are for owners

    assert client.post(f"/v1/partners/{owner.partner_id}/reinstate", headers=admin.headers).status_code == 200
    activities.fan_out()
    latest = outbox()[0]
    assert latest["to"] == owner.user.email and latest["subject"] == "Your Partner Connector account is active again"


def test_the_unsubscribe_link_works_without_sign_in_and_only_for_its_recipient(client, actors, activities, outbox):
    owner = actors.partner_owner(name="Busy Co")
    co_owner = actors.user(partner=owner.partner, is_partner_owner=True)
    admin = actors.admin()
    suspend(client, admin, owner.partner_id)
    activities.fan_out()
    mail = next(m for m in outbox() if m["to"] == owner.user.email)
    url = urlsplit(one_click_url(mail))

    described = client.get(f"{url.path}?{url.query}")
    assert described.status_code == 200
    assert described.get_json()["type"] == "registration.partner_suspended"
    assert described.get_json()["unsubscribed"] is False and described.get_json()["email"].endswith("@example.test")
    # What a mail client sends for the one-click button (RFC 8058): a form POST, no credentials.
    clicked = client.post(f"{url.path}?{url.query}", data="List-Unsubscribe=One-Click",
                          content_type="application/x-www-form-urlencoded")
    assert clicked.status_code == 200 and clicked.get_json()["unsubscribed"] is True
    assert client.post(f"{url.path}?{url.query}").status_code == 200  # twice is harmless

    client.post(f"/v1/partners/{owner.partner_id}/reinstate", headers=admin.headers)
    suspend(client, admin, owner.partner_id, reason="Second time")
    activities.fan_out()
    second = [m for m in outbox() if "Second time" in m["text"]]
    assert [m["to"] for m in second] == [co_owner.user.email]
    # The in-app activity is unaffected by the e-mail opt-out.
    assert activities.feed(owner, type="registration.partner_suspended")["items"][0]["data"]["reason"] == "Second time"


def test_a_user_invited_who_has_not_set_a_password_gets_no_business_mail(client, actors, activities, outbox):
    owner = actors.partner_owner(name="Growing Co")
    invited = client.post("/v1/users", json={"email": "new-owner@growing.example", "name": "New Owner",
                                            "isPartnerOwner": True}, headers=owner.headers)
    assert invited.status_code == 201 and invited.get_json()["hasPassword"] is False
    suspend(client, actors.admin(), owner.partner_id)
    activities.fan_out()
    assert [m["to"] for m in outbox() if "suspended" in m["subject"]] == [owner.user.email]


@pytest.mark.parametrize("token", ["not-a-token", "dXNlcnxyZWdpc3RyYXRpb24ucGFydG5lcl9zdXNwZW5kZWR8YWJj"])
def test_a_forged_or_garbled_unsubscribe_token_is_a_400(client, token):
    response = client.post(f"/v1/notifications/unsubscribe?token={token}")
    assert response.status_code == 400 and response.get_json()["errors"] == {"token": ["token_invalid"]}
    assert client.get("/v1/notifications/unsubscribe").status_code == 422


def test_mailgun_receives_the_unsubscribe_headers(app_config, actors, client, jobs):
    from pc_app import create_app
    from pc_app.testing import ActorFactory

    with Receiver([200]) as mailgun:
        app = create_app({**app_config, "MAIL_BACKEND": "mailgun", "MAILGUN_API_BASE": mailgun.url.rsplit("/", 2)[0],
                          "MAILGUN_API_KEY": "key-for-tests", "MAILGUN_DOMAIN": "mg.test"})
        local = ActorFactory(app)
        owner = local.partner_owner(name="Mailgun Co")
        admin = local.admin()
        app.test_client().post(f"/v1/partners/{owner.partner_id}/suspend", json={"reason": "Checks"},
                               headers=admin.headers)
        from pc_app.testing import run_jobs
        run_jobs(app)
        [sent] = [r for r in mailgun.requests if r.path == "/v3/mg.test/messages"]
        form = parse_qs(sent.body.decode())
        assert form["to"] == [owner.user.email]
        assert form["h:List-Unsubscribe-Post"] == ["List-Unsubscribe=One-Click"]
        assert form["h:List-Unsubscribe"][0].startswith("<http://api.test/v1/notifications/unsubscribe?token=")
