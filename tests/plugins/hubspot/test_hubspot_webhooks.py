"""HubSpot's inbound webhooks: v3 signature on the raw body, 5-minute window, de-duplication by event id."""
import base64
import hashlib
import hmac
import json
import threading
import time

import pytest

from pc_app.testing import metric_value

URL = "/v1/integrations/hubspot/webhooks"
FULL_URL = "http://localhost" + URL
SECRET = "webhook-app-secret"


def sign(body: bytes, timestamp: str, secret: str = SECRET, uri: str = FULL_URL) -> str:
    message = b"POST" + uri.encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def deliver(client, events, *, timestamp=None, secret=SECRET, signature=None):
    body = json.dumps(events).encode()
    timestamp = timestamp or str(int(time.time() * 1000))
    headers = {"Content-Type": "application/json", "X-HubSpot-Request-Timestamp": timestamp,
               "X-HubSpot-Signature-v3": signature or sign(body, timestamp, secret)}
    return client.post(URL, data=body, headers=headers)


def change_event(event_id, portal, **extra):
    return {"eventId": event_id, "subscriptionId": 1, "portalId": portal, "appId": 424242,
            "occurredAt": int(time.time() * 1000), "subscriptionType": "deal.propertyChange", "attemptNumber": 0,
            "objectId": 5001, "propertyName": "dealstage", "propertyValue": "closedwon", "changeSource": "CRM_UI",
            **extra}


def test_signed_events_are_accepted_and_handed_on(client, connected, events):
    owner, portal = connected
    response = deliver(client, [change_event(1, portal), change_event(2, portal, propertyName="amount")])
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"received": 2, "accepted": 2, "duplicates": 0, "withoutEventId": 0}
    [received] = events.named("hubspot.webhook_received")
    assert received.partner_ids == (owner.partner_id,)
    assert received.payload["portalId"] == portal
    assert [e["eventId"] for e in received.payload["events"]] == [1, 2]


def test_wrong_signature_is_refused(client, connected, events):
    _owner, portal = connected
    response = deliver(client, [change_event(1, portal)], secret="someone-else")
    assert response.status_code == 401
    assert response.get_json()["errors"] == {"signature": ["signature_invalid"]}
    assert events.named("hubspot.webhook_received") == []


def test_body_changed_after_signing_is_refused(client, connected):
    _owner, portal = connected
    timestamp = str(int(time.time() * 1000))
    signature = sign(json.dumps([change_event(1, portal)]).encode(), timestamp)
    response = deliver(client, [change_event(1, portal, propertyValue="closedlost")], timestamp=timestamp,
                       signature=signature)
    assert response.status_code == 401


def test_stale_timestamp_is_refused_even_when_signed(client, connected):
    _owner, portal = connected
    six_minutes_ago = str(int((time.time() - 360) * 1000))
    response = deliver(client, [change_event(1, portal)], timestamp=six_minutes_ago)
    assert response.status_code == 401
    assert response.get_json()["errors"] == {"signature": ["timestamp_stale"]}


def test_timestamp_more_than_five_minutes_ahead_is_refused_as_future(client, connected, events):
    _owner, portal = connected
    six_minutes_ahead = str(int((time.time() + 360) * 1000))
    response = deliver(client, [change_event(1, portal)], timestamp=six_minutes_ahead)
    assert response.status_code == 401
    assert response.get_json()["errors"] == {"signature": ["timestamp_future"]}
    assert "future" in response.get_json()["message"]
    assert events.named("hubspot.webhook_received") == []


def test_timestamp_a_little_ahead_is_accepted(client, connected):
    _owner, portal = connected
    a_minute_ahead = str(int((time.time() + 60) * 1000))
    assert deliver(client, [change_event(1, portal)], timestamp=a_minute_ahead).status_code == 200


@pytest.mark.parametrize("timestamp", ["²", "١٧٠٠٠٠٠٠٠٠٠٠٠".encode().decode("latin-1"), "9" * 5000, "-1000",
                                       "1e12", " 1700000000000"])
def test_timestamp_that_is_not_ascii_milliseconds_is_a_401_not_a_crash(client, connected, timestamp):
    _owner, portal = connected
    response = deliver(client, [change_event(1, portal)], timestamp=timestamp)
    assert response.status_code == 401
    assert response.get_json()["errors"] == {"signature": ["timestamp_invalid"]}


@pytest.mark.parametrize("signature", ["²" * 44, "A" * 64_000, "not base64!"])
def test_signature_that_is_not_base64_is_a_401(client, connected, signature):
    _owner, portal = connected
    response = deliver(client, [change_event(1, portal)], signature=signature)
    assert response.status_code == 401
    assert response.get_json()["errors"] == {"signature": ["signature_invalid"]}


def test_events_without_an_event_id_are_counted_and_logged(client, connected, events, caplog):
    _owner, portal = connected
    without = {k: v for k, v in change_event(0, portal).items() if k != "eventId"}
    odd_ids = [change_event({"nested": 1}, portal), change_event(True, portal), change_event("x" * 500, portal)]
    response = deliver(client, [change_event(3, portal), without, "not an object", *odd_ids])
    assert response.status_code == 200
    assert response.get_json() == {"received": 6, "accepted": 1, "duplicates": 0, "withoutEventId": 5}
    assert [e["eventId"] for ev in events.named("hubspot.webhook_received") for e in ev.payload["events"]] == [3]
    assert any("5 of 6 event(s) without a usable eventId" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("portal_id", [{"a": 1}, [1], 2**64, True, "123"])
def test_odd_portal_ids_are_acknowledged_and_ignored(client, connected, events, portal_id):
    response = deliver(client, [change_event(11, portal_id)])
    assert response.status_code == 200
    assert response.get_json()["accepted"] == 0
    assert events.named("hubspot.webhook_received") == []


@pytest.mark.parametrize("raw, status", [
    (b"[" * 1000 + b"]" * 1000, 422),                  # deeper than the reader takes, found without recursion
    (b'[{"eventId": 1, "portalId": "\\\\ud800"}]', 200),  # an escaped backslash, not a surrogate
    (b'[{"eventId": 1, "propertyValue": "\ud800"}]', 422),
    (b'[{"eventId": ' + b"9" * 5000 + b"}]", 422),
    (b"[NaN]", 400),
    (b"[1,", 400),
])
def test_signed_bodies_are_read_by_the_guarded_reader(client, connected, raw, status):
    timestamp = str(int(time.time() * 1000))
    response = client.post(URL, data=raw, headers={"Content-Type": "application/json",
                                                  "X-HubSpot-Request-Timestamp": timestamp,
                                                  "X-HubSpot-Signature-v3": sign(raw, timestamp)})
    assert response.status_code == status, response.get_json()
    assert set(response.get_json()) == ({"code", "status", "message", "errors"} if status >= 400 else
                                        {"received", "accepted", "duplicates", "withoutEventId"})


def test_missing_headers_are_refused(client):
    response = client.post(URL, json=[{"eventId": 1}])
    assert response.status_code == 401


def test_duplicate_event_is_handed_on_once(client, connected, events):
    _owner, portal = connected
    assert deliver(client, [change_event(7, portal)]).get_json()["accepted"] == 1
    again = deliver(client, [change_event(7, portal), change_event(8, portal)])
    assert again.status_code == 200
    assert again.get_json() == {"received": 2, "accepted": 1, "duplicates": 1, "withoutEventId": 0}
    handed_on = [e["eventId"] for ev in events.named("hubspot.webhook_received") for e in ev.payload["events"]]
    assert handed_on == [7, 8]


def test_deliveries_are_counted_for_the_operator_per_event_and_refusal(app, client, connected):
    _owner, portal = connected
    deliver(client, [change_event(7, portal), change_event(8, 123456), {"portalId": portal}])
    deliver(client, [change_event(7, portal)])
    deliver(client, [change_event(9, portal)], secret="someone-else")

    def counted(outcome):
        return metric_value(app, "pc_webhook_deliveries_total", webhook="hubspot", outcome=outcome)

    assert [counted(o) for o in ("accepted", "duplicate", "ignored", "rejected")] == [1, 1, 2, 1]


def test_events_of_unknown_portals_are_acknowledged_but_ignored(client, connected, events):
    response = deliver(client, [change_event(9, 123456)])
    assert response.status_code == 200 and response.get_json()["accepted"] == 0
    assert events.named("hubspot.webhook_received") == []


def test_body_that_is_not_an_event_list_is_a_400(client):
    body = b'{"not": "a list"}'
    timestamp = str(int(time.time() * 1000))
    response = client.post(URL, data=body, headers={"Content-Type": "application/json",
                                                   "X-HubSpot-Request-Timestamp": timestamp,
                                                   "X-HubSpot-Signature-v3": sign(body, timestamp)})
    assert response.status_code == 400


@pytest.fixture
def live_app(app):
    """The app served over real HTTP on a free port, so the sandbox can deliver webhooks to it."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_a_hubspot_user_edit_arrives_through_the_sandbox(app, connected, sandbox, events, live_app):
    owner, portal = connected
    from plugins.hubspot.services import HubSpotClientFactory
    from hubspot.crm.deals import SimplePublicObjectInputForCreate

    with app.app_context():
        deal = HubSpotClientFactory().client_for(owner.partner_id).crm.deals.basic_api.create(
            SimplePublicObjectInputForCreate(properties={"dealname": "Acme"}))
    sandbox.admin.configure(webhookUrl=live_app + URL, appSecret=SECRET)

    answer = sandbox.admin.user_changes_deal(portal, deal.id, {"dealstage": "closedwon"})

    assert answer["delivery"]["status"] == 200
    [received] = events.named("hubspot.webhook_received")
    [event] = received.payload["events"]
    assert (event["objectId"], event["propertyName"], event["propertyValue"]) == (int(deal.id), "dealstage",
                                                                                 "closedwon")
