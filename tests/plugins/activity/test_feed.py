"""The feed: events become activities for the partners concerned, read per user, paged by a stable cursor."""
from __future__ import annotations

import datetime as dt

from pc_app.toolkit import new_id

RESERVED = {"reservationId": None, "listingId": None, "leadId": None, "buyerPartnerId": None,
            "sellerPartnerId": None, "price": 5000, "currency": "usd", "expiresAt": "2030-01-01T00:00:00+00:00",
            "industry": "saas"}


def make_lead(app, actor, **fields) -> str:
    from pc_app.core.leads.services import create_lead

    data = {"first_name": "Jane", "last_name": "Doe", "email": f"{new_id()}@example.com", "company": "Acme",
            "job_title": "VP of Sales", "seniority": "vp", "industry": "saas", "company_size": "51-200",
            "country": "US"}
    data.update(fields)
    with app.app_context():
        return str(create_lead(actor.partner_id, data, f"user:{actor.id}").id)


def list_lead(client, app, seller, price=5000, lead_id=None) -> dict:
    lead_id = lead_id or make_lead(app, seller)
    response = client.post(f"/v1/marketplace/leads/{lead_id}/list", json={"price": price}, headers=seller.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def reservation_payload(listing, seller, buyer) -> dict:
    return {**RESERVED, "reservationId": new_id(), "listingId": listing["id"], "leadId": listing["leadId"],
            "buyerPartnerId": buyer.partner_id, "sellerPartnerId": seller.partner_id}


def purchase_payload(listing, seller, buyer) -> dict:
    return {"purchaseId": new_id(), "reservationId": new_id(), "listingId": listing["id"], "leadId": listing["leadId"],
            "buyerLeadId": new_id(), "buyerPartnerId": buyer.partner_id, "sellerPartnerId": seller.partner_id,
            "amount": 5000, "platformFee": 1000, "sellerPayout": 4000, "currency": "usd", "industry": "saas",
            "listedAt": "2030-01-01T00:00:00+00:00", "reservedAt": "2030-01-02T00:00:00+00:00"}


def test_listing_reservation_and_purchase_reach_seller_and_buyer_and_move_the_unread_badge(
        app, client, actors, activities, seller, buyer):
    seller_member = actors.member(seller.partner)
    buyer_member = actors.member(buyer.partner)
    lead_id = make_lead(app, seller)
    activities.fan_out()
    for actor in (seller, seller_member):  # start from a clean badge: the lead's creation was news too
        client.patch("/v1/activities/mark-read", json={"all": True}, headers=actor.headers)
    listing = list_lead(client, app, seller, lead_id=lead_id)

    # Fan-out happens in the delivery job, not in the request that listed the lead.
    assert activities.unread(seller) == 0
    activities.fan_out()

    listed = activities.feed(seller)["items"][0]
    assert listed["type"] == "marketplace.lead_listed" and listed["read"] is False
    assert "Jane Doe (Acme)" in listed["sentence"] and "$50.00" in listed["sentence"]
    assert listed["actor"] == {"type": "user", "id": seller.id, "name": seller.user.name}
    assert {"type": "listing", "id": listing["id"]} in listed["subjects"]
    assert listed["data"]["price"] == 5000 and "matchingPartnerIds" not in listed["data"]
    assert activities.unread(seller) == 1 and activities.unread(seller_member) == 1
    # The buyer's ICP matches: it is told, in its own words and without the seller's lead name.
    [matched] = activities.feed(buyer)["items"]
    assert matched["sentence"] == ("A new lead matching your ideal customer profile is on the marketplace for $50.00.")
    assert "Jane" not in str(matched) and "matchingPartnerIds" not in matched["data"]

    activities.emit("payments.lead_reserved", [buyer.partner_id, seller.partner_id],
                    reservation_payload(listing, seller, buyer), actor=f"user:{buyer.id}")
    activities.fan_out()
    for actor in (seller, seller_member, buyer, buyer_member):
        assert activities.feed(actor)["items"][0]["type"] == "payments.lead_reserved"
    assert activities.unread(seller) == 2 and activities.unread(seller_member) == 2
    assert activities.unread(buyer) == 2 and activities.unread(buyer_member) == 2

    # Money events are for partner owners only (CONTRACT_EVENTS), even before payments describes them.
    activities.emit("payments.purchase_succeeded", [buyer.partner_id, seller.partner_id],
                    purchase_payload(listing, seller, buyer), actor=f"user:{buyer.id}")
    activities.fan_out()
    assert activities.feed(seller)["items"][0]["type"] == "payments.purchase_succeeded"
    assert activities.unread(seller) == 3 and activities.unread(buyer) == 3
    assert activities.unread(seller_member) == 2 and activities.unread(buyer_member) == 2
    assert all(i["type"] != "payments.purchase_succeeded" for i in activities.feed(seller_member)["items"])

    # Reading lowers only the reader's badge.
    newest = activities.feed(seller)["items"][0]["id"]
    marked = client.patch("/v1/activities/mark-read", json={"ids": [newest]}, headers=seller.headers)
    assert marked.status_code == 200 and marked.get_json() == {"marked": 1, "unreadCount": 2, "unreadCountCapped": False}
    again = client.patch("/v1/activities/mark-read", json={"ids": [newest]}, headers=seller.headers)
    assert again.get_json() == {"marked": 0, "unreadCount": 2, "unreadCountCapped": False}
    everything = client.patch("/v1/activities/mark-read", json={"all": True}, headers=seller.headers)
    assert everything.get_json() == {"marked": 2, "unreadCount": 0, "unreadCountCapped": False}
    assert client.patch("/v1/activities/mark-read", json={"all": True}, headers=seller.headers).get_json() == \
        {"marked": 0, "unreadCount": 0, "unreadCountCapped": False}
    assert activities.unread(seller_member) == 2
    assert all(item["read"] for item in activities.feed(seller)["items"])
    assert len(activities.feed(seller)["items"]) == 4  # lead created, listed, reserved, purchased


def test_an_event_delivered_twice_makes_one_activity(app, activities, seller):
    from pc_app.event_delivery import event_from_document, StoredEvent
    from plugins.activity.listeners import fan_out

    event = activities.emit("core.partner_updated", [seller.partner_id],
                            {"partnerId": seller.partner_id, "fields": ["name"]})
    activities.fan_out()
    with app.app_context():
        doc = StoredEvent._get_collection().find_one({"_id": event.id})
        fan_out(event_from_document(doc))  # at-least-once: the same event again
    assert len(activities.feed(seller)["items"]) == 1 and activities.unread(seller) == 1


def test_cursor_pages_neither_repeat_nor_skip_while_new_activities_arrive(activities, seller):
    for _n in range(5):
        activities.emit("core.lead_created", [seller.partner_id], {"leadId": new_id()})
    activities.fan_out()
    first = activities.feed(seller, limit=2)
    assert len(first["items"]) == 2 and first["nextCursor"]
    for _n in range(3):
        activities.emit("core.lead_created", [seller.partner_id], {"leadId": new_id()})
    activities.fan_out()
    second = activities.feed(seller, limit=2, cursor=first["nextCursor"])
    third = activities.feed(seller, limit=2, cursor=second["nextCursor"])
    assert third["nextCursor"] is None
    seen = [i["id"] for page in (first, second, third) for i in page["items"]]
    assert len(seen) == 5 == len(set(seen))
    assert len(activities.feed(seller, limit=100)["items"]) == 8
    assert first["unreadCount"] == 5 and third["unreadCount"] == 8


def test_filters_unread_only_type_and_since(client, activities, seller):
    activities.emit("core.lead_created", [seller.partner_id], {"leadId": new_id()})
    activities.emit("core.lead_deleted", [seller.partner_id], {"leadId": new_id()})
    activities.fan_out()
    [deleted] = activities.feed(seller, type="core.lead_deleted")["items"]
    client.patch("/v1/activities/mark-read", json={"ids": [deleted["id"]]}, headers=seller.headers)
    assert [i["type"] for i in activities.feed(seller, unreadOnly="true")["items"]] == ["core.lead_created"]
    later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)).isoformat()
    assert activities.feed(seller, since=later)["items"] == []
    assert len(activities.feed(seller, type=["core.lead_created", "core.lead_deleted"])["items"]) == 2


def test_bad_cursor_and_unknown_parameters_are_422_naming_them(client, seller):
    bad = client.get("/v1/activities?cursor=bm90LWEtY3Vyc29y", headers=seller.headers)
    assert bad.status_code == 422 and "cursor" in bad.get_json()["errors"]
    unknown = client.get("/v1/activities?colour=red", headers=seller.headers)
    assert unknown.status_code == 422 and "colour" in unknown.get_json()["errors"]
    neither = client.patch("/v1/activities/mark-read", json={}, headers=seller.headers)
    assert neither.status_code == 422 and "ids" in neither.get_json()["errors"]


def test_foreign_activities_cannot_be_marked_and_staff_have_no_feed(client, actors, activities, seller, buyer):
    activities.emit("core.lead_created", [seller.partner_id], {"leadId": new_id()})
    activities.fan_out()
    [item] = activities.feed(seller)["items"]
    foreign = client.patch("/v1/activities/mark-read", json={"ids": [item["id"]]}, headers=buyer.headers)
    assert foreign.get_json() == {"marked": 0, "unreadCount": 0, "unreadCountCapped": False}
    assert activities.unread(seller) == 1
    staff = client.get("/v1/activities", headers=actors.admin().headers)
    assert staff.status_code == 403 and set(staff.get_json()) == {"code", "status", "message", "errors"}
    assert client.get("/v1/activities").status_code == 401


def test_an_event_without_a_description_reads_as_its_catalog_sentence(activities, seller):
    activities.emit("core.password_changed", [seller.partner_id], {"userId": seller.id})
    activities.emit("payments.lead_reserved", [seller.partner_id],
                    {**RESERVED, "reservationId": new_id(), "listingId": new_id(), "leadId": new_id(),
                     "buyerPartnerId": new_id(), "sellerPartnerId": seller.partner_id})
    activities.fan_out()
    reserved = activities.feed(seller, type="payments.lead_reserved")["items"][0]
    assert reserved["sentence"] == "A buyer reserved a listed lead." and reserved["icon"] == "bell"
    assert {"type": "reservation", "id": reserved["data"]["reservationId"]} in reserved["subjects"]


def test_another_partners_activities_leave_a_users_kept_unread_count(client, activities, seller, buyer, db_commands):
    """The unread count is counted once, then kept until the user's own partner's activities change."""
    def counts(sent) -> int:
        return sum(1 for command in sent if any("$count" in stage for stage in command.get("pipeline", ())))

    activities.emit("core.lead_created", [seller.partner_id], {"leadId": new_id()})
    activities.fan_out()
    assert activities.unread(seller) == 1
    activities.emit("core.lead_created", [buyer.partner_id], {"leadId": new_id()})
    activities.emit("core.lead_created", [buyer.partner_id], {"leadId": new_id()})
    activities.fan_out()
    first = activities.feed(buyer, limit=1)["items"][0]["id"]
    assert client.patch("/v1/activities/mark-read", json={"ids": [first]}, headers=buyer.headers).status_code == 200
    with db_commands:
        assert activities.unread(seller) == 1
    assert counts(db_commands.sent) == 0 and db_commands.commands == ["aggregate"]  # the page alone
    activities.emit("core.lead_created", [seller.partner_id, buyer.partner_id], {"leadId": new_id()})
    activities.fan_out()
    with db_commands:
        assert activities.unread(seller) == 2
    assert counts(db_commands.sent) == 1


def test_the_unread_count_stops_at_its_cap_and_says_so(app, client, activities, seller):
    # A partner that never reads its feed: the badge counts to the cap ("99+"), not the whole history.
    app.config["ACTIVITY_UNREAD_COUNT_CAP"] = 3
    for _n in range(3):
        activities.emit("core.lead_created", [seller.partner_id], {"leadId": new_id()})
    activities.fan_out()
    page = activities.feed(seller, limit=1)
    assert (page["unreadCount"], page["unreadCountCapped"]) == (3, False)
    activities.emit("core.lead_created", [seller.partner_id], {"leadId": new_id()})
    activities.emit("core.lead_created", [seller.partner_id], {"leadId": new_id()})
    activities.fan_out()
    page = activities.feed(seller, limit=1)
    assert (page["unreadCount"], page["unreadCountCapped"]) == (3, True)
    assert len(activities.feed(seller, limit=100, unreadOnly="true")["items"]) == 5  # the list itself is whole
    newest = [i["id"] for i in activities.feed(seller, limit=2)["items"]]
    marked = client.patch("/v1/activities/mark-read", json={"ids": newest}, headers=seller.headers)
    assert marked.get_json() == {"marked": 2, "unreadCount": 3, "unreadCountCapped": False}
