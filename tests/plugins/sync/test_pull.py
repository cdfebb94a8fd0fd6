"""Changes flow both ways: HubSpot's to the lead, PC's to the deal; webhooks pull just the deals they name."""
import datetime as dt


def test_a_change_in_hubspot_flows_to_the_lead(world, synced, events):
    actor, portal, lead_ids = synced
    deal = world.deal_of(portal, lead_ids[0])
    world.admin.user_changes_deal(portal, deal["id"], {"dealstage": world.stage(actor, "in_touch"),
                                                       "amount": "19.99"}, deliver=False)
    events.clear()

    task = world.sync(actor)

    assert task["counts"]["pulled"] == 1 and task["counts"]["updated"] == 0
    lead = world.lead(lead_ids[0])
    assert (lead["deal_status"], lead["deal_amount"], lead["updated_by"]) == ("in_touch", 1999, "hubspot")
    [updated] = events.named("core.lead_updated")
    assert updated.payload == {"leadId": lead_ids[0], "fields": ["deal_amount", "deal_status"]}
    assert updated.actor == "hubspot"
    assert world.link(lead_ids[0])["snapshot"]["dealAmount"] == 1999


def test_a_change_in_pc_flows_to_the_deal_and_closing_dates_it(world, synced):
    actor, portal, lead_ids = synced
    world.edit_lead(actor, lead_ids[1], dealAmount=500000, dealStatus="won")

    task = world.sync(actor)

    assert task["counts"]["updated"] == 1 and task["counts"]["pulled"] == 0
    properties = world.deal_of(portal, lead_ids[1])["properties"]
    assert properties["amount"] == "5000.00" and properties["dealstage"] == world.stage(actor, "won")
    assert properties["closedate"] == f"{dt.datetime.now(dt.timezone.utc).date().isoformat()}T00:00:00.000Z"
    assert world.lead(lead_ids[1])["updated_by"].startswith("user:")


def test_a_webhook_pulls_just_the_deal_it_names(world, synced):
    actor, portal, lead_ids = synced
    deal = world.deal_of(portal, lead_ids[2])
    world.admin.user_changes_deal(portal, deal["id"], {"amount": "77"})
    before = len(world.crm_calls(portal))

    world.deliver_webhooks()
    [task] = world.client.get("/v1/sync/tasks", query_string={"status": "queued"},
                              headers=actor.headers).get_json()["items"]
    assert (task["trigger"], task["full"]) == ("webhook", False)
    world.run_jobs()

    assert world.lead(lead_ids[2])["deal_amount"] == 7700
    assert [c["route"] for c in world.crm_calls(portal, before)] == ["/crm/v3/objects/deals/batch/read"]
    assert world.task(actor, task["id"])["status"] == "completed"


def test_the_webhook_echo_of_our_own_push_changes_nothing(world, synced, events):
    actor, portal, lead_ids = synced
    world.admin.configure(apiChangeWebhooks=True)
    world.edit_lead(actor, lead_ids[0], dealAmount=4200)
    world.sync(actor)
    assert world.deal_of(portal, lead_ids[0])["properties"]["amount"] == "42.00"
    before = len(world.crm_calls(portal))
    lead_before = world.lead(lead_ids[0])
    events.clear()

    answers = world.deliver_webhooks()  # HubSpot tells us about our own write
    world.run_jobs()

    assert answers and world.writes(portal, before) == []
    assert world.lead(lead_ids[0]) == lead_before
    assert events.named("core.lead_updated") == []
    [completed] = events.named("sync.task_completed")
    assert completed.payload["trigger"] == "webhook" and completed.payload["pulled"] == 0


def test_a_deal_created_in_hubspot_with_a_contact_becomes_a_lead(world, synced, events):
    actor, portal, _lead_ids = synced
    pipeline = world.status(actor)["pipelineId"]
    made = world.admin.user_creates_deal(portal, {"dealname": "Globex renewal", "pipeline": pipeline,
                                                  "dealstage": world.stage(actor, "scheduled"), "amount": "1500.5"},
                                         contact={"email": "Hank@Globex.example", "firstname": "Hank",
                                                  "lastname": "Scorpio", "company": "Globex",
                                                  "phone": "not a phone"})
    world.admin.user_creates_deal(portal, {"dealname": "Nobody", "pipeline": pipeline})  # no contact: no lead
    world.admin.user_creates_deal(portal, {"dealname": "Other pipeline"},  # the default pipeline: not ours
                                  contact={"email": "other@example.com"})
    world.deliver_webhooks()
    world.run_jobs()

    leads = world.client.get("/v1/leads", query_string={"source": "hubspot"}, headers=actor.headers).get_json()
    [lead] = leads["items"]
    assert (lead["email"], lead["firstName"], lead["lastName"], lead["company"]) == (
        "hank@globex.example", "Hank", "Scorpio", "Globex")
    assert (lead["dealStatus"], lead["dealAmount"], lead["updatedBy"]) == ("scheduled", 150050, "hubspot")
    assert lead["phone"] is None  # HubSpot's free text is not an E.164 number: left out, the lead still made
    link = world.link(lead["id"])
    assert link["deal_id"] == made["deal"]["id"] and link["status"] == "linked"
    assert link["deal_name"] == "Globex renewal"  # the deal keeps the name HubSpot's user gave it
    assert [e.payload["leadId"] for e in events.named("core.lead_created")] == [lead["id"]]
    before = len(world.crm_calls(portal))
    assert world.sync(actor)["counts"]["created"] == 0 and world.writes(portal, before) == []


def test_a_deal_deleted_in_hubspot_unlinks_the_lead_which_stays(world, synced):
    actor, portal, lead_ids = synced
    deal = world.deal_of(portal, lead_ids[0])
    world.admin.user_deletes_deal(portal, deal["id"])
    world.deliver_webhooks()
    world.run_jobs()

    [task] = world.client.get("/v1/sync/tasks", query_string={"perPage": 1}, headers=actor.headers).get_json()["items"]
    assert task["counts"]["unlinked"] == 1
    assert task["unlinkedLeads"] == [{"leadId": lead_ids[0], "dealId": deal["id"], "reason": "deal_deleted"}]
    assert world.lead(lead_ids[0])["is_deleted"] is False
    link = world.link(lead_ids[0])
    assert link["status"] == "unlinked" and "deal_key" not in link
    world.edit_lead(actor, lead_ids[0], dealAmount=1)
    world.sync(actor)  # the deleted deal is not made again
    assert len(world.deals(portal)) == 2


def test_a_deal_renamed_in_hubspot_keeps_its_name(world, synced):
    actor, portal, lead_ids = synced
    deal = world.deal_of(portal, lead_ids[0])
    world.admin.user_changes_deal(portal, deal["id"], {"dealname": "Big one"}, deliver=False)
    assert world.sync(actor)["counts"]["pulled"] == 1
    world.edit_lead(actor, lead_ids[0], company="Renamed Inc")
    before = len(world.crm_calls(portal))
    world.sync(actor)
    assert world.deal_of(portal, lead_ids[0])["properties"]["dealname"] == "Big one"
    assert world.writes(portal, before) == []


def test_a_lead_that_moved_to_another_partner_is_no_longer_pushed_and_gets_its_own_deal_there(world, synced, app):
    actor, portal, lead_ids = synced
    buyer, buyer_portal = world.connect()
    world.run_jobs()
    from pc_app.core.models import Lead

    with app.app_context():
        Lead.objects(id=lead_ids[0]).update_one(set__partner=buyer.partner_id)
    world.edit_lead(buyer, lead_ids[0], dealAmount=999)

    seller_task = world.sync(actor)
    seller_link = world.link(lead_ids[0], actor.partner_id)
    assert seller_task["unlinkedLeads"] == [{"leadId": lead_ids[0], "dealId": seller_link["deal_id"],
                                             "reason": "lead_moved"}]
    assert world.deal_of(portal, lead_ids[0])["properties"]["amount"] != "9.99"
    world.sync(buyer)
    assert world.deal_of(buyer_portal, lead_ids[0])["properties"]["amount"] == "9.99"


def test_a_sold_lead_is_no_longer_pushed_and_its_deal_won_later_goes_to_a_person(world, synced, app):
    actor, portal, lead_ids = synced
    from pc_app.core.models import Lead

    # What the payments plugin does to the seller's copy of a lead sold on the marketplace (its field).
    with app.app_context():
        Lead._get_collection().update_one({"_id": lead_ids[0]}, {"$set": {"read_only_reason": "sold",
                                                                           "deal_amount": 1}})
    deal = world.deal_of(portal, lead_ids[0])

    task = world.sync(actor)

    assert task["unlinkedLeads"] == [{"leadId": lead_ids[0], "dealId": deal["id"], "reason": "lead_sold"}]
    assert world.deal_of(portal, lead_ids[0])["properties"]["amount"] == deal["properties"]["amount"]
    world.admin.user_changes_deal(portal, deal["id"], {"dealstage": world.stage(actor, "won")}, deliver=False)
    world.sync(actor)
    [conflict] = world.conflicts(actor, status="open")
    assert conflict["reason"] == "lead_sold" and conflict["leadId"] == lead_ids[0]
    assert world.resolve(actor, conflict["id"], "use_pc").status_code == 200
    # the sale stands: HubSpot's deal goes back to the lead's stage, the sold lead is not written
    assert world.deal_of(portal, lead_ids[0])["properties"]["dealstage"] == world.stage(actor, "new")
    with app.app_context():
        assert Lead._get_collection().find_one({"_id": lead_ids[0]})["deal_amount"] == 1


def test_a_partner_that_connects_another_portal_gets_its_leads_as_deals_there(world, synced):
    actor, old_portal, lead_ids = synced
    # An open conflict in the old portal: nobody can resolve it there any more, so it closes.
    world.edit_lead(actor, lead_ids[0], dealAmount=1)
    world.admin.user_changes_deal(old_portal, world.deal_of(old_portal, lead_ids[0])["id"], {"amount": "2"},
                                  deliver=False)
    world.sync(actor)
    [conflict] = world.conflicts(actor, status="open")
    world.connect(actor)  # the owner connects a new portal; that starts a sync
    new_portal = world.status(actor)["hubId"]
    world.run_jobs()

    assert new_portal != old_portal
    assert sorted(d["properties"]["pc_lead_id"] for d in world.deals(new_portal)) == lead_ids
    assert len(world.deals(old_portal)) == 3  # the old portal keeps its deals
    assert all(world.link(i)["portal"] == new_portal and world.link(i)["status"] == "linked" for i in lead_ids)
    assert world.conflicts(actor, status="open") == []
    [closed] = world.conflicts(actor)
    assert (closed["id"], closed["status"], closed["resolvedBy"]) == (conflict["id"], "resolved", "system")
