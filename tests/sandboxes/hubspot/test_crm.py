"""Pipelines and deals through the unmodified hubspot-api-client against the sandbox."""
import datetime as dt
import time

import pytest
from hubspot.crm.deals import (ApiException, BatchInputSimplePublicObjectBatchInput,
                               BatchInputSimplePublicObjectBatchInputForCreate, BatchReadInputSimplePublicObjectId,
                               PublicObjectSearchRequest, SimplePublicObjectInput, SimplePublicObjectInputForCreate)
from hubspot.crm.pipelines import PipelineInput, PipelinePatchInput, PipelineStageInput


def _pipeline_input(label="Partner Connector"):
    return PipelineInput(label=label, display_order=1, stages=[
        PipelineStageInput(label="New", display_order=0, metadata={"probability": "0.1"}),
        PipelineStageInput(label="Won", display_order=1, metadata={"probability": "1.0", "isClosed": "true"}),
    ])


def test_pipeline_create_list_get_and_rename(connect):
    _tokens, _hub, client = connect()
    api = client.crm.pipelines.pipelines_api
    created = api.create("deals", _pipeline_input())
    assert created is not None and created.label == "Partner Connector"
    assert [s.label for s in created.stages] == ["New", "Won"]
    assert created.stages[1].metadata == {"probability": "1.0", "isClosed": "true"}
    assert {p.label for p in api.get_all("deals").results} == {"Sales Pipeline", "Partner Connector"}
    assert api.get_by_id("deals", created.id).stages[0].id == created.stages[0].id
    renamed = api.update("deals", created.id, PipelinePatchInput(label="PC"))
    assert renamed.label == "PC"


def test_pipeline_labels_are_unique_and_stages_need_a_probability(connect):
    from hubspot.crm.pipelines import ApiException as PipelineApiException

    _tokens, _hub, client = connect()
    api = client.crm.pipelines.pipelines_api
    api.create("deals", _pipeline_input())
    with pytest.raises(PipelineApiException) as duplicate:
        api.create("deals", _pipeline_input())
    assert duplicate.value.status == 400
    with pytest.raises(PipelineApiException):
        api.create("deals", PipelineInput(label="X", display_order=2,
                                          stages=[PipelineStageInput(label="A", display_order=0, metadata={})]))


def test_deal_create_get_update_archive(connect):
    _tokens, _hub, client = connect()
    api = client.crm.deals.basic_api
    deal = api.create(SimplePublicObjectInputForCreate(properties={"dealname": "Acme", "amount": "1200"}))
    assert deal is not None and deal.properties["dealname"] == "Acme"
    assert deal.properties["dealstage"] == "appointmentscheduled" and deal.properties["pipeline"] == "default"
    fetched = api.get_by_id(deal.id, properties=["amount"])
    assert fetched.properties["amount"] == "1200" and "hs_lastmodifieddate" in fetched.properties
    assert "dealname" not in fetched.properties
    before = fetched.properties["hs_lastmodifieddate"]
    updated = api.update(deal.id, SimplePublicObjectInput(properties={"dealstage": "closedwon"}))
    assert updated.properties["dealstage"] == "closedwon"
    assert updated.properties["hs_lastmodifieddate"] >= before
    api.archive(deal.id)
    with pytest.raises(ApiException) as gone:
        api.get_by_id(deal.id)
    assert gone.value.status == 404


def test_deal_stage_must_belong_to_the_pipeline(connect):
    _tokens, _hub, client = connect()
    with pytest.raises(ApiException) as failure:
        client.crm.deals.basic_api.create(SimplePublicObjectInputForCreate(properties={"dealstage": "nope"}))
    assert failure.value.status == 400


def test_batches_create_read_update_and_cap_at_100(connect):
    _tokens, _hub, client = connect()
    batch = client.crm.deals.batch_api
    created = batch.create(BatchInputSimplePublicObjectBatchInputForCreate(
        inputs=[{"properties": {"dealname": f"Deal {i}"}} for i in range(3)]))
    assert created is not None and created.status == "COMPLETE" and len(created.results) == 3
    ids = [d.id for d in created.results]
    read = batch.read(BatchReadInputSimplePublicObjectId(inputs=[{"id": i} for i in ids + ["999999"]],
                                                         properties=["dealname"], properties_with_history=[]))
    assert sorted(d.properties["dealname"] for d in read.results) == ["Deal 0", "Deal 1", "Deal 2"]
    assert read.num_errors == 1 and read.errors[0].context == {"ids": ["999999"]}
    updated = batch.update(BatchInputSimplePublicObjectBatchInput(
        inputs=[{"id": i, "properties": {"amount": "5"}} for i in ids]))
    assert {d.properties["amount"] for d in updated.results} == {"5"}
    with pytest.raises(ApiException) as too_many:
        batch.create(BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[{"properties": {"dealname": "x"}} for _ in range(101)]))
    assert too_many.value.status == 400


def test_search_by_last_modified_date_with_paging(connect, sandbox):
    _tokens, hub_id, client = connect()
    basic = client.crm.deals.basic_api
    old = [basic.create(SimplePublicObjectInputForCreate(properties={"dealname": f"old {i}"})) for i in range(2)]
    time.sleep(0.01)  # timestamps have millisecond resolution: keep the cutoff apart from both sides
    cutoff = dt.datetime.now(dt.timezone.utc)
    cutoff_ms = str(int(cutoff.timestamp() * 1000))
    time.sleep(0.01)
    new = [basic.create(SimplePublicObjectInputForCreate(properties={"dealname": f"new {i}"})) for i in range(3)]
    basic.update(old[0].id, SimplePublicObjectInput(properties={"amount": "1"}))

    def search(after=None):
        request = PublicObjectSearchRequest(
            filter_groups=[{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GTE",
                                         "value": cutoff_ms}]}],
            sorts=[{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
            properties=["dealname"], limit=2, after=after)
        return client.crm.deals.search_api.do_search(request)

    first = search()
    assert first.total == 4
    second = search(first.paging.next.after)
    assert second.paging is None
    names = [d.properties["dealname"] for d in first.results + second.results]
    assert names == ["new 0", "new 1", "new 2", "old 0"]
    assert {d.id for d in new} < {d.id for d in first.results + second.results}
    older = client.crm.deals.search_api.do_search(PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "LT",
                                     "value": cutoff.isoformat()}]}], limit=10))
    assert [d.id for d in older.results] == [old[1].id]


def test_search_answers_at_most_the_result_cap_and_refuses_paging_past_it(connect, sandbox):
    _tokens, hub_id, client = connect()
    sandbox.admin.configure(searchResultCap=5)
    sandbox.admin.seed_deals(hub_id, [{"properties": {"dealname": f"D{i}"}} for i in range(8)])

    def search(after=None):
        return client.crm.deals.search_api.do_search(PublicObjectSearchRequest(
            sorts=[{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}], limit=3, after=after))

    first = search()
    assert first.total == 8 and first.paging.next.after == "3"
    second = search(first.paging.next.after)
    assert len(second.results) == 2 and second.paging is None  # the cap ends the paging, not the data
    with pytest.raises(ApiException) as past_the_cap:
        search("5")
    assert past_the_cap.value.status == 400 and "limited to 5" in past_the_cap.value.body
