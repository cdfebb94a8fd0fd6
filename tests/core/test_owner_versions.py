"""What is kept of one partner's leads ends with a write that may reach them, and only with such a write."""
import pytest
from bson import ObjectId

from pc_app.collection_versions import (FROM_REPLY, MAX_NAMED_DOCUMENTS, _owner_keys_of_reply, _written_owner_keys,
                                       count_writes_by_owner)
from pc_app.core import models  # noqa: F401  (counts the leads' writes by partner)

from .test_round_trips import _commands_for, _seed_leads, _signed_in_and_kept

P, Q = "6b0b5344195d341506b38cac", "6b0b5344195d341506b38cad"
OF_P, OF_Q, ANY = f"pc:version:db.leads@{P}", f"pc:version:db.leads@{Q}", "pc:version:db.leads@*"


def bumped(name, **command):
    return _written_owner_keys("db", name, {name: "leads", **command})


def test_a_write_that_names_one_owner_bumps_that_owner_only():
    assert bumped("insert", documents=[{"partner": P}, {"partner": Q}, {"partner": P}]) == [OF_P, OF_Q]
    assert bumped("insert", documents=[{"partner": ObjectId(P)}]) == [OF_P]
    assert bumped("update", updates=[{"q": {"_id": "x", "partner": P}, "u": {"$set": {"email": "a@b.c"}}}]) == [OF_P]
    assert bumped("update", updates=[{"q": {"partner": {"$eq": P}}, "u": {"$set": {"deal_status": "won"}},
                                      "multi": True, "upsert": True}]) == [OF_P]
    assert bumped("update", updates=[{"q": {"_id": "x", "partner": P}, "u": {"partner": P, "email": "a@b.c"}}]) == [OF_P]
    assert bumped("delete", deletes=[{"q": {"partner": P}, "limit": 0}, {"q": {"partner": Q}, "limit": 1}]) == [
        OF_P, OF_Q]
    assert bumped("findAndModify", query={"_id": "x", "partner": Q}, update={"$inc": {"deal_amount": 1}}) == [OF_Q]
    assert bumped("findAndModify", query={"_id": "x", "partner": Q}, remove=True) == [OF_Q]


@pytest.mark.parametrize("name, command", [
    ("insert", {"documents": [{"partner": {"$oid": P}}]}),
    ("update", {"updates": [{"q": {"_id": "x"}, "u": {"$set": {"email": "a@b.c"}}}]}),
    ("update", {"updates": [{"q": {"partner": {"$in": [P]}}, "u": {"$set": {"email": "a@b.c"}}}]}),
    ("update", {"updates": [{"q": {"$and": [{"partner": P}]}, "u": {"$set": {"email": "a@b.c"}}}]}),
    # It may give a lead to another partner: that partner's leads change too.
    ("update", {"updates": [{"q": {"partner": P}, "u": {"$set": {"partner": Q}}}]}),
    ("update", {"updates": [{"q": {"partner": P}, "u": {"$unset": {"partner.x": ""}}}]}),
    ("update", {"updates": [{"q": {"partner": P}, "u": {"$rename": {"buyer": "partner"}}}]}),
    ("update", {"updates": [{"q": {"partner": P}, "u": {"partner": Q, "email": "a@b.c"}}]}),
    ("update", {"updates": [{"q": {"partner": P}, "u": [{"$set": {"email": "a@b.c"}}]}]}),
    ("update", {"updates": [{"q": {"partner": P}, "u": {"$set": {"email": "a@b.c"}}}, {"q": {}, "u": {"$set": {}}}]}),
    ("delete", {"deletes": [{"q": {"email": "a@b.c"}, "limit": 0}]}),
    ("findAndModify", {"query": {"partner": P}, "update": {"$set": {"partner": Q}}}),
    ("drop", {}),
])
def test_a_write_that_may_reach_more_than_the_owners_it_names_bumps_every_owner(name, command):
    assert bumped(name, **command) == [ANY]


def test_a_write_to_documents_without_an_owner_ends_no_partners_values():
    """Platform staff's users have no partner: writing them by equality on the null owner reaches no partner's."""
    none = "pc:version:db.leads@-"
    assert bumped("insert", documents=[{"partner": P}, {"email": "no-owner@b.c"}, {"partner": None}]) == [OF_P, none]
    assert bumped("update", updates=[{"q": {"_id": "x", "partner": None}, "u": {"$set": {"email": "a@b.c"}}}]) == [none]
    assert bumped("update", updates=[{"q": {"_id": "x", "partner": {"$eq": None}}, "u": {"$set": {"n": 1}}}]) == [none]
    assert bumped("update", updates=[{"q": {"_id": "x", "partner": {"$ne": None}}, "u": {"$set": {"n": 1}}}]) == [ANY]
    assert bumped("update", updates=[{"q": {"_id": "x", "partner": None}, "u": {"$set": {"partner": P}}}]) == [ANY]
    replied = {"findAndModify": "leads", "query": {"_id": "x"}, "update": {"$set": {"n": 1}}}
    assert _owner_keys_of_reply("db", replied, {"ok": 1.0, "value": {"_id": "x", "partner": None}}) == [none]


def test_a_find_and_modify_that_names_no_owner_has_its_reply_name_them():
    """One document, found by its id (mongoengine's ``modify``): the document in the reply names its owner."""
    for command in ({"query": {"_id": "x"}, "update": {"$set": {"email": "a@b.c"}}, "new": True},
                    {"query": {"_id": "x", "status": "listed"}, "remove": True}):
        assert bumped("findAndModify", **command) == FROM_REPLY
        replied = {"findAndModify": "leads", **command}
        assert _owner_keys_of_reply("db", replied, {"ok": 1.0, "value": {"_id": "x", "partner": P}}) == [OF_P]
        # Nothing found, nothing written: no owner's values end.
        assert _owner_keys_of_reply("db", replied, {"ok": 1.0, "value": None}) == []
        # The reply does not tell: an upsert (its document may be new), a projection without the owner, a failure.
        assert _owner_keys_of_reply("db", {**replied, "upsert": True}, {"ok": 1.0, "value": None}) == [ANY]
        assert _owner_keys_of_reply("db", replied, {"ok": 1.0, "value": {"_id": "x"}}) == [ANY]
        assert _owner_keys_of_reply("db", replied, None) == [ANY]


DEALS = "test_owner_versions_deals"
count_writes_by_owner(DEALS, "buyer", "seller")


def test_a_write_to_a_collection_with_two_owner_fields_ends_one_owner_only_when_it_names_both():
    """A purchase's buyer and seller: a write naming the buyer alone may reach any seller's sales."""
    def deals(name, **command):
        return _written_owner_keys("db", name, {name: DEALS, **command})

    of_p, of_q, anyone = f"pc:version:db.{DEALS}@{P}", f"pc:version:db.{DEALS}@{Q}", f"pc:version:db.{DEALS}@*"
    assert deals("insert", documents=[{"buyer": P, "seller": Q}]) == [of_p, of_q]
    assert deals("update", updates=[{"q": {"_id": "x", "buyer": P, "seller": Q}, "u": {"$set": {"step": 1}}}]) == [
        of_p, of_q]
    assert deals("update", updates=[{"q": {"_id": "x", "buyer": P}, "u": {"$set": {"step": 1}}}]) == [anyone]
    assert deals("insert", documents=[{"buyer": P}]) == [of_p, f"pc:version:db.{DEALS}@-"]  # no seller: nobody's sale
    assert deals("update", updates=[{"q": {"buyer": P, "seller": Q}, "u": {"$set": {"seller": P}}}]) == [anyone]
    assert deals("findAndModify", query={"_id": "x"}, update={"$set": {"buyer": Q}}) == [anyone]  # moves it
    assert _owner_keys_of_reply("db", {"findAndModify": DEALS, "query": {"_id": "x"}},
                                {"ok": 1.0, "value": {"buyer": Q, "seller": Q}}) == [of_q]


def test_a_write_naming_too_many_owners_bumps_every_owner():
    owners = [f"{i:024x}" for i in range(MAX_NAMED_DOCUMENTS + 1)]
    assert bumped("insert", documents=[{"partner": owner} for owner in owners]) == [ANY]


def test_another_partners_lead_writes_leave_a_partners_kept_lead_list(app, client, actors, db_commands):
    """Kept: another partner creates, edits, notes, deletes and syncs leads. Ended: a write to the
    partner's own leads, and a write that names no partner."""
    from pc_app.core.models import Lead

    mine = _signed_in_and_kept(client, actors)
    theirs = _signed_in_and_kept(client, actors)
    _seed_leads(app, mine.partner_id, 3)
    url = "/v1/leads?perPage=2&page=2"  # a page and a total to keep
    first = client.get(url, headers=mine.headers).get_json()
    assert first["total"] == 3
    created = client.post("/v1/leads", json={"firstName": "Their", "email": "their@example.com"},
                          headers=theirs.headers)
    assert created.status_code == 201, created.get_json()
    lead_url = f"/v1/leads/{created.get_json()['id']}"
    assert client.patch(lead_url, json={"jobTitle": "CTO", "email": "theirs@example.com"},
                        headers=theirs.headers).status_code == 200
    assert client.post(f"{lead_url}/notes", json={"text": "called"}, headers=theirs.headers).status_code == 201
    with app.app_context():  # a CRM sync's conditional write names the partner, as plugins/sync does
        Lead._get_collection().update_many({"partner": theirs.partner_id, "deal_status": "new"},
                                           {"$set": {"deal_status": "won"}})
    assert client.delete(lead_url, headers=theirs.headers).status_code == 204
    commands, body = _commands_for(client, db_commands, url, mine.headers)
    assert commands == [] and body == first
    # A write to the partner's own lead shows at once ...
    with app.app_context():
        lead = Lead.objects(partner=mine.partner_id).order_by("created_at").first()
    assert client.patch(f"/v1/leads/{lead.id}", json={"lastName": "Renamed"}, headers=mine.headers).status_code == 200
    commands, body = _commands_for(client, db_commands, "/v1/leads?perPage=3", mine.headers)
    assert commands != [] and "Renamed" in [item["lastName"] for item in body["items"]]
    kept = client.get("/v1/leads?perPage=3", headers=mine.headers).get_json()
    # ... and so does one that names no partner (a maintenance script, a migration).
    with app.app_context():
        Lead._get_collection().update_many({"email": {"$regex": "^lead"}}, {"$set": {"company": "Migrated"}})
    commands, body = _commands_for(client, db_commands, "/v1/leads?perPage=3", mine.headers)
    assert commands != [] and body != kept
    assert {item["company"] for item in body["items"] if item["email"].startswith("lead")} == {"Migrated"}


def test_a_lead_made_read_only_by_its_partner_bumps_that_partners_counter_only(app, actors):
    """A sale makes the seller's lead read-only: a write naming the seller, which leaves other partners' lists."""
    from pc_app.core.leads.services import clear_lead_read_only, set_lead_read_only
    from pc_app.db import database
    from pc_app.redis_client import get_redis

    seller = actors.partner_owner()
    _seed_leads(app, seller.partner_id, 1)
    with app.app_context():
        from pc_app.core.models import Lead

        lead_id = str(Lead.objects(partner=seller.partner_id).first().id)
        name = database().name
        redis = get_redis()
        keys = [f"pc:version:{name}.leads@*", f"pc:version:{name}.leads@{seller.partner_id}"]
        before = [int(value or 0) for value in redis.mget(keys)]
        assert set_lead_read_only(lead_id, "sold", seller.partner_id)
        assert clear_lead_read_only(lead_id, "sold", seller.partner_id)
        assert not set_lead_read_only(lead_id, "sold", "6b0b5344195d341506b38cac")  # not that partner's lead
        after = [int(value or 0) for value in redis.mget(keys)]
    assert after == [before[0], before[1] + 2]
