"""Who learns whom: an activity, mail or webhook names a user only to that user's partner, and a
listing's or a view's fields naming another partner stay with the partner they name."""
from __future__ import annotations

import json

from .test_feed import list_lead, make_lead, reservation_payload
from .test_webhooks import register

ANONYMOUS = {"type": "partner", "id": None, "name": None}


def bodies(app, partner_id: str, event_type: str) -> list[dict]:
    """The webhook bodies queued for a partner (exactly what its receiver is sent)."""
    from plugins.activity.models import WebhookDelivery

    with app.app_context():
        return [json.loads(d.body) for d in WebhookDelivery.objects(partner=partner_id, event_type=event_type)]


def test_a_listing_reaches_matching_buyers_without_the_seller_and_a_view_reaches_the_seller_without_the_buyer(
        app, client, actors, activities, seller, buyer):
    buyer_member = actors.member(buyer.partner)
    register(client, seller, "http://127.0.0.1:9/hooks")
    register(client, buyer, "http://127.0.0.1:9/hooks")
    listing = list_lead(client, app, seller, lead_id=make_lead(app, seller))
    activities.fan_out()

    [own] = activities.feed(seller, type="marketplace.lead_listed")["items"]
    assert own["actor"] == {"type": "user", "id": seller.id, "name": seller.user.name}
    assert own["data"]["sellerPartnerId"] == seller.partner_id
    [own_hook] = bodies(app, seller.partner_id, "marketplace.lead_listed")
    assert own_hook["data"]["sellerPartnerId"] == seller.partner_id
    [matched] = activities.feed(buyer, type="marketplace.lead_listed")["items"]
    assert matched["actor"] == ANONYMOUS and "sellerPartnerId" not in matched["data"]
    [matched_hook] = bodies(app, buyer.partner_id, "marketplace.lead_listed")
    assert "sellerPartnerId" not in matched_hook["data"]
    for seen in (matched, matched_hook):
        assert seller.id not in str(seen) and seller.partner_id not in str(seen)
        assert seller.user.name not in str(seen)

    opened = client.get(f"/v1/marketplace/leads/{listing['leadId']}", headers=buyer_member.headers)
    assert opened.status_code == 200, opened.get_json()
    activities.fan_out()
    [viewed] = activities.feed(seller, type="marketplace.lead_viewed")["items"]
    assert viewed["sentence"].startswith("A buyer opened the listing of ")
    assert viewed["actor"] == ANONYMOUS and "viewerPartnerId" not in viewed["data"]
    [viewed_hook] = bodies(app, seller.partner_id, "marketplace.lead_viewed")
    assert "viewerPartnerId" not in viewed_hook["data"]
    for seen in (viewed, viewed_hook):
        assert buyer.partner_id not in str(seen) and buyer_member.id not in str(seen)
        assert buyer_member.user.name not in str(seen)


def test_a_users_name_reaches_its_own_partner_only(app, client, actors, activities, outbox, seller, buyer):
    seller_member = actors.member(seller.partner)
    listing = list_lead(client, app, seller)
    client.patch(f"/v1/partners/{seller.partner_id}/notification-preferences", headers=seller.headers,
                 json={"types": {"payments.lead_reserved": {"email": True}}})
    activities.emit("payments.lead_reserved", [buyer.partner_id, seller.partner_id],
                    reservation_payload(listing, seller, buyer), actor=f"user:{buyer.id}")
    activities.fan_out()

    [mine] = activities.feed(buyer, type="payments.lead_reserved")["items"]
    assert mine["actor"] == {"type": "user", "id": buyer.id, "name": buyer.user.name}
    for reader in (seller, seller_member):
        [theirs] = activities.feed(reader, type="payments.lead_reserved")["items"]
        assert theirs["actor"] == ANONYMOUS
        assert buyer.id not in json.dumps(theirs["actor"]) and buyer.user.name not in theirs["sentence"]
    mails = [m for m in outbox() if m["to"] in (seller.user.email, seller_member.user.email)]
    assert mails and all(buyer.user.name not in m["text"] for m in mails)
