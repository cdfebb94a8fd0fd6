"""12,000 deals changed in HubSpot are all read, although HubSpot's search answers at most 10,000 per query.

The portal holds 12,000 deals in the partner's pipeline, all changed since the last sync. 600 of them,
spread evenly over the order of change, are linked to leads and carry a new amount; the others have no
contact yet, so they are read, compared and left alone. Past the 10,000th result the pull moves its
window to the last change seen: the linked deals that come after it are pulled like the first ones.
"""


def _seed(world, app, actor, portal, total: int, linked_every: int) -> dict:
    """``total`` deals of the partner's pipeline; every ``linked_every``-th linked to a lead: ``{lead: deal}``."""
    from plugins.sync.models import DealLink, PartnerSyncState

    status = world.status(actor)
    stage = status["stageMapping"]["new"]
    linked = total // linked_every
    lead_ids = world.leads(actor, linked, deal_amount=100)
    properties = [{"dealname": f"Deal {n}", "pipeline": status["pipelineId"], "dealstage": stage, "amount": "1"}
                  for n in range(total)]
    for n, lead_id in enumerate(lead_ids):
        properties[n * linked_every]["pc_lead_id"] = lead_id
    deal_ids = world.admin.seed_deals(portal, [{"properties": p} for p in properties])
    deals = {lead_id: deal_ids[n * linked_every] for n, lead_id in enumerate(lead_ids)}
    with app.app_context():
        DealLink._get_collection().insert_many([DealLink(
            partner=actor.partner_id, lead=lead_id, link_key=DealLink.key_for(actor.partner_id, lead_id),
            portal=portal, deal_id=deals[lead_id], deal_key=DealLink.deal_key_for(portal, deals[lead_id]),
            status="linked", associated=True, deal_name=f"Deal {n * linked_every}",
            snapshot={"dealStatus": stage, "dealAmount": 100, "dealName": f"Deal {n * linked_every}",
                      "closeDate": None}).to_mongo() for n, lead_id in enumerate(lead_ids)])
        PartnerSyncState.objects(partner=actor.partner_id).update_one(set__watermark_ms=0)
    world.admin.user_changes_deals(portal, {deal_id: {"amount": "25.00"} if deal_id in deals.values()
                                            else {"description": "touched"} for deal_id in deal_ids}, deliver=False)
    return deals


def test_twelve_thousand_deals_changed_in_hubspot_are_all_read_past_the_search_cap(world, app):
    actor, portal = world.connect()
    world.run_jobs()
    deals = _seed(world, app, actor, portal, 12_000, linked_every=20)
    before = len(world.crm_calls(portal))

    task = world.sync(actor)

    assert task["status"] == "completed", task
    assert task["counts"]["dealsRead"] == 12_000 and task["counts"]["pulled"] == 600
    from pc_app.core.models import Lead

    with app.app_context():
        amounts = {lead.id: lead.deal_amount for lead in Lead.objects(partner=actor.partner_id).only("deal_amount")}
    assert amounts == dict.fromkeys(deals, 2500)  # the 100 linked deals past result 10,000 too
    searches = [c for c in world.crm_calls(portal, before) if c["route"].endswith("/search")]
    assert all(c["status"] == 200 for c in searches)  # never paged past the cap
    assert len(searches) == 61  # 10,000 in 50 pages of 200, then a window moved to the last change seen
    assert world.writes(portal, before) == []  # pulled only: nothing to write to HubSpot
