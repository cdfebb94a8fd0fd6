"""Contacts, custom properties and v4 deal↔contact associations through the unmodified hubspot-api-client."""
import pytest
from hubspot.crm.associations.v4 import (BatchInputPublicAssociationMultiArchive,
                                         BatchInputPublicDefaultAssociationMultiPost,
                                         BatchInputPublicFetchAssociationsBatchRequest)
from hubspot.crm.contacts import ApiException as ContactApiException
from hubspot.crm.contacts import (BatchInputSimplePublicObjectBatchInputForCreate, BatchReadInputSimplePublicObjectId,
                                  PublicObjectSearchRequest, SimplePublicObjectInputForCreate)
from hubspot.crm.deals import ApiException as DealApiException
from hubspot.crm.deals import BatchInputSimplePublicObjectId
from hubspot.crm.deals import BatchInputSimplePublicObjectBatchInputForCreate as DealBatchCreate
from hubspot.crm.deals import SimplePublicObjectInputForCreate as DealInput
from hubspot.crm.properties import ApiException as PropertyApiException
from hubspot.crm.properties import PropertyCreate


def _contacts(client, *emails):
    created = client.crm.contacts.batch_api.create(BatchInputSimplePublicObjectBatchInputForCreate(
        inputs=[{"properties": {"email": email, "firstname": email.split("@")[0]}} for email in emails]))
    return [c.id for c in created.results]


def test_contact_create_read_by_id_and_by_email(connect):
    _tokens, _hub, client = connect()
    contact = client.crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(
        properties={"email": "Jane@Example.com", "firstname": "Jane", "lastname": "Doe", "company": "Acme"}))
    assert contact is not None and contact.properties["email"] == "jane@example.com"
    by_email = client.crm.contacts.basic_api.get_by_id("JANE@example.com", id_property="email",
                                                         properties=["company"])
    assert by_email.id == contact.id and by_email.properties["company"] == "Acme"
    assert "firstname" not in by_email.properties


def test_an_email_exists_once_per_portal(connect):
    _tokens, _hub, client = connect()
    [existing] = _contacts(client, "jane@example.com")
    with pytest.raises(ContactApiException) as duplicate:
        client.crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(properties={"email": "JANE@example.com"}))
    assert duplicate.value.status == 409 and f"Existing ID: {existing}" in duplicate.value.body
    with pytest.raises(ContactApiException) as batch:
        _contacts(client, "new@example.com", "jane@example.com")
    assert batch.value.status == 409
    assert client.crm.contacts.search_api.do_search(PublicObjectSearchRequest(limit=10)).total == 1


def test_batch_read_by_email_reports_the_unknown_ones(connect):
    _tokens, _hub, client = connect()
    ids = _contacts(client, "a@example.com", "b@example.com")
    read = client.crm.contacts.batch_api.read(BatchReadInputSimplePublicObjectId(
        id_property="email", properties=["email"], properties_with_history=[],
        inputs=[{"id": "a@example.com"}, {"id": "B@example.com"}, {"id": "nobody@example.com"}]))
    assert sorted(c.id for c in read.results) == sorted(ids)
    assert read.num_errors == 1 and read.errors[0].context == {"ids": ["nobody@example.com"]}


def test_contact_search_by_email(connect):
    _tokens, _hub, client = connect()
    _contacts(client, "a@example.com", "b@example.com", "c@example.com")
    found = client.crm.contacts.search_api.do_search(PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": "email", "operator": "IN",
                                     "values": ["a@example.com", "c@example.com"]}]}],
        properties=["email"], limit=10))
    assert sorted(c.properties["email"] for c in found.results) == ["a@example.com", "c@example.com"]


def test_custom_deal_property_must_exist_before_it_is_written(connect):
    _tokens, _hub, client = connect()
    with pytest.raises(DealApiException) as refused:
        client.crm.deals.basic_api.create(DealInput(properties={"dealname": "A", "pc_lead_id": "x"}))
    assert refused.value.status == 400 and "PROPERTY_DOESNT_EXIST" in refused.value.body
    properties = client.crm.properties.core_api
    with pytest.raises(PropertyApiException) as missing:
        properties.get_by_name("deals", "pc_lead_id")
    assert missing.value.status == 404
    created = properties.create("deals", PropertyCreate(name="pc_lead_id", label="PC lead", type="string",
                                                        field_type="text", group_name="dealinformation"))
    assert created.name == "pc_lead_id" and properties.get_by_name("deals", "pc_lead_id").label == "PC lead"
    with pytest.raises(PropertyApiException) as again:
        properties.create("deals", PropertyCreate(name="pc_lead_id", label="x", type="string", field_type="text",
                                                  group_name="dealinformation"))
    assert again.value.status == 409
    deal = client.crm.deals.basic_api.create(DealInput(properties={"dealname": "A", "pc_lead_id": "x"}))
    assert deal.properties["pc_lead_id"] == "x"


def test_batch_default_associations_read_and_archive(connect):
    _tokens, _hub, client = connect()
    deals = client.crm.deals.batch_api.create(DealBatchCreate(
        inputs=[{"properties": {"dealname": f"D{i}"}} for i in range(3)])).results
    contacts = _contacts(client, "a@example.com", "b@example.com")
    batch = client.crm.associations.v4.batch_api
    answer = batch.create_default("deals", "contacts", BatchInputPublicDefaultAssociationMultiPost(inputs=[
        {"from": {"id": deals[0].id}, "to": {"id": contacts[0]}},
        {"from": {"id": deals[1].id}, "to": {"id": contacts[1]}}]))
    assert answer.status == "COMPLETE"
    assert {(r._from.id, r.to.id, r.association_spec.association_type_id) for r in answer.results} >= {
        (deals[0].id, contacts[0], 3), (contacts[0], deals[0].id, 4)}
    # associating again changes nothing
    batch.create_default("deals", "contacts", BatchInputPublicDefaultAssociationMultiPost(
        inputs=[{"from": {"id": deals[0].id}, "to": {"id": contacts[0]}}]))

    read = batch.get_page("deals", "contacts", BatchInputPublicFetchAssociationsBatchRequest(
        inputs=[{"id": d.id} for d in deals]))
    by_deal = {r._from.id: [str(t.to_object_id) for t in r.to] for r in read.results}
    assert by_deal == {deals[0].id: [contacts[0]], deals[1].id: [contacts[1]]}
    assert read.num_errors == 1 and read.errors[0].context == {"fromObjectId": [deals[2].id]}
    back = batch.get_page("contacts", "deals", BatchInputPublicFetchAssociationsBatchRequest(
        inputs=[{"id": contacts[0]}]))
    assert [str(t.to_object_id) for t in back.results[0].to] == [deals[0].id]

    batch.archive("deals", "contacts", BatchInputPublicAssociationMultiArchive(
        inputs=[{"from": {"id": deals[0].id}, "to": [{"id": contacts[0]}]}]))
    listed = client.crm.associations.v4.basic_api.get_page("deals", deals[0].id, "contacts")
    assert listed.results == []


def test_associating_a_missing_record_is_refused(connect):
    from hubspot.crm.associations.v4 import ApiException as AssociationApiException

    _tokens, _hub, client = connect()
    [contact] = _contacts(client, "a@example.com")
    with pytest.raises(AssociationApiException) as refused:
        client.crm.associations.v4.batch_api.create_default(
            "deals", "contacts", BatchInputPublicDefaultAssociationMultiPost(
                inputs=[{"from": {"id": "424242"}, "to": {"id": contact}}]))
    assert refused.value.status == 400


def test_deals_batch_archive(connect):
    _tokens, _hub, client = connect()
    deals = client.crm.deals.batch_api.create(DealBatchCreate(
        inputs=[{"properties": {"dealname": f"D{i}"}} for i in range(2)])).results
    client.crm.deals.batch_api.archive(BatchInputSimplePublicObjectId(inputs=[{"id": deals[0].id}, {"id": "999"}]))
    with pytest.raises(DealApiException) as gone:
        client.crm.deals.basic_api.get_by_id(deals[0].id)
    assert gone.value.status == 404
    assert client.crm.deals.basic_api.get_by_id(deals[1].id).properties["dealname"] == "D1"
