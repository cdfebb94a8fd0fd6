"""Notification preferences: per partner, per event type × channel, documented defaults; they decide the channels."""
from __future__ import annotations

from pc_app.toolkit import new_id

from .receiver import Receiver


def prefs_url(partner_id):
    return f"/v1/partners/{partner_id}/notification-preferences"


def channels_of(body, type_name):
    return next(t for t in body["types"] if t["type"] == type_name)


def test_defaults_are_listed_for_every_event_type(client, seller):
    response = client.get(prefs_url(seller.partner_id), headers=seller.headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["channels"] == ["in_app", "email", "webhook"]
    listed = channels_of(body, "marketplace.lead_listed")
    assert listed["defaults"] == {"in_app": True, "email": False, "webhook": True} == listed["channels"]
    suspended = [t for t in body["types"] if t["type"] == "activity.webhook_disabled"][0]
    assert suspended["defaults"]["email"] is True and suspended["audience"] == "owners"
    assert channels_of(body, "payments.purchase_succeeded")["audience"] == "owners"


def test_patch_changes_only_the_named_channels(client, seller):
    response = client.patch(prefs_url(seller.partner_id), headers=seller.headers,
                            json={"types": {"marketplace.lead_listed": {"email": True},
                                            "core.lead_created": {"in_app": False}}})
    assert response.status_code == 200
    body = response.get_json()
    assert channels_of(body, "marketplace.lead_listed")["channels"] == {"in_app": True, "email": True, "webhook": True}
    assert channels_of(body, "core.lead_created")["channels"] == {"in_app": False, "email": False, "webhook": True}
    again = client.patch(prefs_url(seller.partner_id), headers=seller.headers,
                         json={"types": {"marketplace.lead_listed": {"webhook": False}}}).get_json()
    assert channels_of(again, "marketplace.lead_listed")["channels"] == {"in_app": True, "email": True,
                                                                         "webhook": False}


def test_unknown_types_channels_and_values_are_422_naming_each(client, seller):
    response = client.patch(prefs_url(seller.partner_id), headers=seller.headers,
                            json={"types": {"nope.never": {"email": True},
                                            "core.lead_created": {"sms": True, "email": "yes"}}})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"types.nope.never", "types.core.lead_created.sms",
                                                  "types.core.lead_created.email"}
    assert client.patch(prefs_url(seller.partner_id), headers=seller.headers, json={}).status_code == 422
    assert client.patch(prefs_url(seller.partner_id), headers=seller.headers,
                        json={"types": {}}).status_code == 422


def test_who_may_read_and_change_preferences(client, actors, seller, buyer):
    member = actors.member(seller.partner)
    admin = actors.admin()
    assert client.get(prefs_url(seller.partner_id), headers=member.headers).status_code == 403
    assert client.get(prefs_url(seller.partner_id), headers=buyer.headers).status_code == 404
    assert client.get(prefs_url(seller.partner_id), headers=admin.headers).status_code == 200
    change = {"types": {"core.lead_created": {"email": True}}}
    assert client.patch(prefs_url(seller.partner_id), headers=admin.headers, json=change).status_code == 403
    assert client.patch(prefs_url(seller.partner_id), headers=member.headers, json=change).status_code == 403
    assert client.get(prefs_url("not-an-id"), headers=seller.headers).status_code == 404


def test_preferences_decide_the_channels(client, actors, activities, outbox, seller):
    member = actors.member(seller.partner)
    with Receiver([200]) as receiver:
        created = client.post(f"/v1/partners/{seller.partner_id}/webhooks", headers=seller.headers,
                              json={"url": receiver.url, "eventTypes": ["*"]})
        assert created.status_code == 201
        activities.fan_out()
        receiver.requests.clear()
        # Defaults: in-app and webhook on, e-mail off.
        activities.emit("core.lead_created", [seller.partner_id], {"leadId": new_id()})
        activities.fan_out()
        assert activities.unread(seller) == 1 and len(receiver.requests) == 1
        assert [m for m in outbox() if "lead" in m["subject"].lower()] == []

        client.patch(prefs_url(seller.partner_id), headers=seller.headers,
                     json={"types": {"core.lead_created": {"in_app": False, "email": True, "webhook": False}}})
        activities.emit("core.lead_created", [seller.partner_id], {"leadId": new_id()}, actor=f"user:{member.id}")
        activities.fan_out()
        assert activities.unread(seller) == 1 and len(receiver.requests) == 1
        mails = outbox()
        assert sorted(m["to"] for m in mails) == sorted([seller.user.email, member.user.email])
        assert {m["subject"] for m in mails} == {f"{member.user.name} added a lead."}
        assert all("/unsubscribe?token=" in m["text"] and m["headers"]["List-Unsubscribe"] for m in mails)
