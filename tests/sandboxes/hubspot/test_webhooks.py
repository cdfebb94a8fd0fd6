"""A user's edit in the sandbox reaches a receiver as HubSpot's signed v3 webhook."""
import json

from hubspot.crm.deals import SimplePublicObjectInputForCreate
from hubspot.utils.signature import Signature


def test_user_change_delivers_a_signed_property_change_event(sandbox, connect, receiver):
    url, received = receiver
    sandbox.admin.configure(webhookUrl=url, appSecret="app-secret-1")
    _tokens, hub_id, client = connect()
    deal = client.crm.deals.basic_api.create(SimplePublicObjectInputForCreate(properties={"dealname": "A"}))

    answer = sandbox.admin.user_changes_deal(hub_id, deal.id, {"dealstage": "closedwon", "amount": "900"})

    assert answer["delivery"] == {"url": url, "status": 200}
    [request] = received
    headers = request["headers"]
    assert Signature.is_valid(signature=headers["X-HubSpot-Signature-v3"], client_secret="app-secret-1",
                              request_body=request["body"], http_uri=url, http_method="POST",
                              signature_version="v3", timestamp=headers["X-HubSpot-Request-Timestamp"])
    events = json.loads(request["body"])
    assert [(e["subscriptionType"], e["propertyName"], e["propertyValue"]) for e in events] == [
        ("deal.propertyChange", "dealstage", "closedwon"), ("deal.propertyChange", "amount", "900")]
    assert all(e["portalId"] == hub_id and e["objectId"] == int(deal.id) for e in events)
    assert len({e["eventId"] for e in events}) == 2
    assert client.crm.deals.basic_api.get_by_id(deal.id).properties["dealstage"] == "closedwon"


def test_user_created_deal_sends_a_creation_event(sandbox, connect, receiver):
    url, received = receiver
    _tokens, hub_id, _client = connect()
    answer = sandbox.admin.user_creates_deal(hub_id, {"dealname": "From UI"}, webhookUrl=url)
    assert answer["events"][0]["subscriptionType"] == "deal.creation"
    assert json.loads(received[0]["body"])[0]["objectId"] == int(answer["deal"]["id"])
