"""Leads become deals in the partner's pipeline, with their person as an associated contact, in batches of 100."""


def test_new_leads_become_deals_with_their_contacts(world, events):
    actor, portal = world.connect()
    [lead_id] = world.leads(actor, 1, first_name="Ann", last_name="Lee", email="ann@acme.example", company="Acme",
                            deal_amount=123456, deal_status="scheduled", phone="+14155550123")

    task = world.sync(actor)

    assert task["status"] == "completed" and task["progress"]["percent"] == 100
    assert task["counts"]["created"] == 1 and task["counts"]["errors"] == 0
    deal = world.deal_of(portal, lead_id)
    status = world.status(actor)
    assert deal["properties"]["dealname"] == "Acme - Ann Lee"
    assert deal["properties"]["amount"] == "1234.56"
    assert deal["properties"]["dealstage"] == status["stageMapping"]["scheduled"]
    assert deal["properties"]["pipeline"] == status["pipelineId"]
    hubspot = world.admin.portal(portal)
    [contact] = hubspot["contacts"]
    assert contact["properties"]["email"] == "ann@acme.example" and contact["properties"]["firstname"] == "Ann"
    assert hubspot["dealContacts"] == {deal["id"]: [contact["id"]]}
    link = world.link(lead_id)
    assert link["status"] == "linked" and link["deal_id"] == deal["id"] and link["associated"] is True
    [completed] = events.named("sync.task_completed")
    assert completed.partner_ids == (actor.partner_id,)
    assert completed.payload["created"] == 1 and completed.payload["trigger"] == "connected"
    assert status["lastSyncedAt"] is not None


def test_an_existing_contact_is_found_by_email_not_created_again(world):
    actor, portal = world.connect()
    existing = world.admin.user_creates_deal(portal, {"dealname": "Elsewhere", "pipeline": "default"},
                                             contact={"email": "ann@acme.example", "firstname": "Annie"},
                                             deliver=False)
    [lead_id] = world.leads(actor, 1, email="ann@acme.example")
    world.sync(actor)
    hubspot = world.admin.portal(portal)
    [contact] = hubspot["contacts"]
    assert contact["properties"]["firstname"] == "Annie"  # HubSpot's person is not overwritten
    assert hubspot["dealContacts"][world.deal_of(portal, lead_id)["id"]] == [contact["id"]]
    assert existing["deal"]["id"] in hubspot["dealContacts"]


def test_a_thousand_leads_push_in_batches_of_a_hundred_and_a_second_sync_writes_nothing(world, events):
    actor, portal = world.connect()
    connecting = len(world.crm_calls(portal))  # the pipeline, made on connection
    lead_ids = world.leads(actor, 1000)
    world.sync(actor)
    first_calls = world.crm_calls(portal, connecting)
    assert world.sync(actor)["status"] == "completed"  # the second
    assert world.writes(portal, connecting + len(first_calls)) == []

    routes = [c["route"] for c in first_calls]
    assert routes.count("/crm/v3/objects/deals/batch/create") == 10
    assert routes.count("/crm/v3/objects/contacts/batch/read") == 10
    assert routes.count("/crm/v3/objects/contacts/batch/create") == 10
    assert routes.count("/crm/v4/associations/<from_type>/<to_type>/batch/associate/default") == 10
    assert len({d["properties"]["pc_lead_id"] for d in world.deals(portal)}) == 1000
    assert len(world.admin.portal(portal)["contacts"]) == 1000
    # the batch floor (4 calls per 100 new leads), the pull's search, and once per portal our marker property
    assert len(first_calls) == 40 + 1 + 2
    assert sorted(world.link(i)["deal_id"] is not None for i in lead_ids[:3]) == [True] * 3


def test_after_a_sync_with_nothing_new_the_next_sync_writes_nothing_on_either_side(world, events):
    actor, portal = world.connect()
    lead_ids = world.leads(actor, 250)
    world.sync(actor)
    before_calls = len(world.crm_calls(portal))
    before_leads = {i: world.lead(i)["updated_at"] for i in lead_ids[:5]}
    events.clear()

    task = world.sync(actor)

    writes = ("created", "updated", "pulled", "conflicts", "errors", "unlinked", "leadsCreated", "delisted")
    assert {name: task["counts"][name] for name in writes} == dict.fromkeys(writes, 0)
    assert task["counts"]["dealsRead"] == 250  # our own writes, read back once and found in step
    assert world.writes(portal, before_calls) == []
    assert {i: world.lead(i)["updated_at"] for i in lead_ids[:5]} == before_leads
    assert events.named("core.lead_updated") == [] and events.named("core.lead_created") == []
