"""Deal creations (with their contact), bulk edits, deletions and API-change echoes as signed v3 webhooks."""
import json

from hubspot.crm.deals import BatchInputSimplePublicObjectBatchInput, SimplePublicObjectInputForCreate
from hubspot.utils.signature import Signature


def _events(received):
    return [event for request in received for event in json.loads(request["body"])]


def test_user_created_deal_with_its_contact_is_associated(sandbox, connect, receiver):
    url, received = receiver
    sandbox.admin.configure(webhookUrl=url)
    _tokens, hub_id, client = connect()
    answer = sandbox.admin.user_creates_deal(hub_id, {"dealname": "From UI"},
                                             contact={"email": "Ann@Example.com", "firstname": "Ann"})
    deal_id = answer["deal"]["id"]
    [event] = _events(received)
    assert (event["subscriptionType"], event["objectId"]) == ("deal.creation", int(deal_id))
    listed = client.crm.associations.v4.basic_api.get_page("deals", deal_id, "contacts")
    [contact] = listed.results
    assert client.crm.contacts.basic_api.get_by_id(str(contact.to_object_id)).properties["email"] == "ann@example.com"
    # a second deal of the same person reuses the contact
    again = sandbox.admin.user_creates_deal(hub_id, {"dealname": "Again"}, contact={"email": "ann@example.com"},
                                            deliver=False)
    portal = sandbox.admin.portal(hub_id)
    assert len(portal["contacts"]) == 1
    assert portal["dealContacts"][again["deal"]["id"]] == [str(contact.to_object_id)]


def test_user_deleting_a_deal_sends_a_deletion_event(sandbox, connect, receiver):
    url, received = receiver
    _tokens, hub_id, client = connect()
    deal = client.crm.deals.basic_api.create(SimplePublicObjectInputForCreate(properties={"dealname": "A"}))
    answer = sandbox.admin.user_deletes_deal(hub_id, deal.id, webhookUrl=url)
    assert answer["delivery"] == {"url": url, "status": 200}
    [event] = _events(received)
    assert (event["subscriptionType"], event["objectId"]) == ("deal.deletion", int(deal.id))
    assert answer["deal"]["archived"] is True


def test_bulk_user_changes_arrive_a_hundred_events_per_signed_request(sandbox, connect, receiver):
    url, received = receiver
    sandbox.admin.configure(webhookUrl=url, appSecret="s3")
    _tokens, hub_id, _client = connect()
    ids = sandbox.admin.seed_deals(hub_id, [{"properties": {"dealname": f"D{i}"}} for i in range(150)])
    assert received == []  # seeding is data that was already there: nobody is told
    answer = sandbox.admin.user_changes_deals(hub_id, {deal_id: {"amount": "10"} for deal_id in ids})
    assert answer["changed"] == 150 and answer["events"] == 150
    assert sandbox.admin.wait_for_webhooks(10)
    assert sorted(len(json.loads(r["body"])) for r in received) == [50, 100]
    for request in received:
        assert Signature.is_valid(signature=request["headers"]["X-HubSpot-Signature-v3"], client_secret="s3",
                                  request_body=request["body"], http_uri=url, http_method="POST",
                                  signature_version="v3", timestamp=request["headers"]["X-HubSpot-Request-Timestamp"])
    quiet = sandbox.admin.user_changes_deals(hub_id, {ids[0]: {"amount": "11"}}, deliver=False)
    assert quiet["events"] == 0


def test_api_changes_echo_as_webhooks_only_when_asked(sandbox, connect, receiver):
    url, received = receiver
    sandbox.admin.configure(webhookUrl=url)
    _tokens, _hub, client = connect()
    deal = client.crm.deals.basic_api.create(SimplePublicObjectInputForCreate(properties={"dealname": "A"}))
    assert sandbox.admin.wait_for_webhooks(5) and received == []

    sandbox.admin.configure(apiChangeWebhooks=True)
    client.crm.deals.batch_api.update(BatchInputSimplePublicObjectBatchInput(
        inputs=[{"id": deal.id, "properties": {"amount": "5"}}]))
    assert sandbox.admin.wait_for_webhooks(5)
    [event] = _events(received)
    assert (event["propertyName"], event["propertyValue"], event["changeSource"]) == ("amount", "5", "INTEGRATION")


def test_recorded_webhooks_are_signed_and_handed_out_once(sandbox, connect):
    sandbox.admin.configure(webhookUrl="http://localhost/hooks", webhookDelivery="record", appSecret="s4")
    _tokens, hub_id, client = connect()
    deal = client.crm.deals.basic_api.create(SimplePublicObjectInputForCreate(properties={"dealname": "A"}))
    answer = sandbox.admin.user_changes_deal(hub_id, deal.id, {"dealstage": "closedwon"})
    assert answer["delivery"] == {"url": "http://localhost/hooks", "recorded": True}
    [recorded] = sandbox.admin.drain_recorded_webhooks()
    assert Signature.is_valid(signature=recorded["headers"]["X-HubSpot-Signature-v3"], client_secret="s4",
                              request_body=recorded["body"], http_uri="http://localhost/hooks", http_method="POST",
                              signature_version="v3", timestamp=recorded["headers"]["X-HubSpot-Request-Timestamp"])
    assert sandbox.admin.drain_recorded_webhooks() == []
    assert "webhookDelivery must be" in str(_refusal(sandbox, webhookDelivery="email"))


def _refusal(sandbox, **settings):
    try:
        sandbox.admin.configure(**settings)
    except AssertionError as refused:
        return refused
    return None
