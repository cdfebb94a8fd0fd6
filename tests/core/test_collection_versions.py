"""Cached list totals end with the next write, whatever writes; a page is dumped from stored rows as from model instances."""
import datetime as dt

from pymongo.errors import BulkWriteError

from pc_app import devstack
from pc_app.collection_versions import cached
from pc_app.redis_client import make_redis


def _total(client, actor, url="/v1/leads?perPage=5"):
    response = client.get(url, headers=actor.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["total"]


def test_a_refused_write_that_wrote_some_documents_still_ends_the_cached_total(app, client, actors):
    from pc_app.core.models import Lead

    seller = actors.partner_owner()
    for i in range(6):
        client.post("/v1/leads", json={"firstName": "L", "email": f"l{i}@example.com"}, headers=seller.headers)
    assert _total(client, seller) == 6  # counted, then kept
    with app.app_context():
        existing = Lead._get_collection().find_one({"email": "l0@example.com"})
        fresh = {key: value for key, value in existing.items() if key != "_id"}
        # Unordered: the duplicate (unique e-mail key) is refused, the two new documents are written.
        try:
            Lead._get_collection().insert_many([
                {**fresh, "email": "n1@example.com", "email_key": f"{seller.partner_id}:n1@example.com"},
                existing,
                {**fresh, "email": "n2@example.com", "email_key": f"{seller.partner_id}:n2@example.com"},
            ], ordered=False)
        except BulkWriteError as exc:
            assert exc.details["nInserted"] == 2 and exc.details["writeErrors"][0]["code"] == 11000
        else:
            raise AssertionError("the duplicate was accepted")
    assert _total(client, seller) == 8


def test_a_total_is_counted_when_redis_is_unreachable(app):
    from pc_app.core.models import Lead

    unreachable = make_redis(f"redis://127.0.0.1:{devstack.free_port()}/0")
    calls = []
    with app.app_context():
        collection = Lead._get_collection()
        for _ in range(2):
            assert cached(unreachable, collection, "pc:count:probe", lambda: calls.append(1) or 7, 60) == 7
    assert len(calls) == 2  # nothing could be kept, so each read counted


def test_dropping_a_database_ends_the_totals_cached_from_it(app):
    from pc_app.db import database
    from pc_app.redis_client import get_redis

    with app.app_context():
        other = database().client["pc_versions_probe"]
        other.drop_collection("things")
        other["things"].insert_many([{"n": i} for i in range(3)])
        count = lambda: other["things"].count_documents({})  # noqa: E731
        redis = get_redis()
        assert cached(redis, other["things"], "pc:count:probe-things", count, 60) == 3
        other.client.drop_database("pc_versions_probe")
        other["things"].insert_one({"n": 0})  # (this insert bumps too; the drop alone is checked below)
        assert cached(redis, other["things"], "pc:count:probe-things", count, 60) == 1
        before = redis.get("pc:version:pc_versions_probe")
        other.client.drop_database("pc_versions_probe")
        assert int(redis.get("pc:version:pc_versions_probe")) == int(before) + 1


def test_a_stored_row_dumps_exactly_as_the_model_instance(app, client, actors):
    from pc_app.core.leads.schemas import LeadSchema
    from pc_app.core.models import Lead
    from pc_app.stored_row import StoredRow

    seller = actors.partner_owner()
    created = client.post("/v1/leads", headers=seller.headers, json={
        "firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com", "phone": "+1 415 555 0123",
        "dealAmount": 990, "industry": "saas"}).get_json()
    assert client.post(f"/v1/leads/{created['id']}/notes", headers=seller.headers,
                       json={"text": "Called twice"}).status_code == 201
    with app.app_context():
        collection = Lead._get_collection()
        # What a row may look like on disk: a field never written, a stored null, and the string
        # form of a datetime our local stand-in keeps after a top-level $set.
        collection.update_one({"email": "ada@example.com"}, {"$unset": {"source_ref": "", "currency": ""},
                                                             "$set": {"company": None}})
        son = collection.find_one({"email": "ada@example.com"})
        son["updated_at"] = "2026-11-29 08:30:00.125000"
        row, instance = StoredRow(Lead, son), Lead._from_son(son)
        schema = LeadSchema()
        assert schema.dump(row) == schema.dump(instance)
        dumped = schema.dump(row)
        assert dumped["currency"] == "usd" and dumped["company"] is None and dumped["notes"][0]["text"] == "Called twice"
        assert row.updated_at == dt.datetime(2026, 11, 29, 8, 30, 0, 125000, tzinfo=dt.timezone.utc)
        # Not a stored field: asked of the real instance (built once), as before.
        assert row.to_mongo()["email"] == "ada@example.com"
        assert not hasattr(row, "__getitem__")  # a row is not a mapping: marshmallow reads attributes


def test_writes_go_on_without_waiting_for_an_unreachable_redis(app):
    from pymongo import MongoClient

    from pc_app.collection_versions import WriteVersions

    listener = WriteVersions(f"redis://127.0.0.1:{devstack.free_port()}/0")
    client = MongoClient(app.config["MONGODB_URL"], event_listeners=[listener])
    try:
        things = client["pc_versions_probe"]["things"]
        for i in range(3):
            things.insert_one({"n": i})
        assert things.count_documents({}) >= 3  # every write landed
        assert listener.failures == 1  # Redis was asked once, then left alone for PAUSE_SECONDS
    finally:
        client.drop_database("pc_versions_probe")
        client.close()


def test_writes_to_documents_counted_one_by_one_bump_what_they_name():
    """Only a filter that pins ``_id`` names its documents; anything else may reach all of them."""
    from bson import ObjectId

    from pc_app.collection_versions import MAX_NAMED_DOCUMENTS, _written_document_keys

    a, b = ObjectId(), ObjectId()
    one, every = f"pc:version:db.users#{a}", "pc:version:db.users#*"

    def bumped(name, **command):
        return _written_document_keys("db", name, {name: "users", **command})

    assert bumped("update", updates=[{"q": {"_id": a}, "u": {}}]) == [one]
    assert bumped("update", updates=[{"q": {"_id": a, "session_version": 3}, "u": {}, "upsert": True}]) == [one]
    assert bumped("update", updates=[{"q": {"_id": {"$eq": a}}, "u": {}}, {"q": {"_id": b}, "u": {}}]) == [
        one, f"pc:version:db.users#{b}"]
    assert bumped("delete", deletes=[{"q": {"_id": {"$in": [a, a]}}, "limit": 0}]) == [one]
    assert bumped("findAndModify", query={"_id": a}) == [one]
    assert bumped("insert", documents=[{"_id": a}]) == []  # no cached copy holds a new document
    for unnamed in ({"role": "user"}, {"_id": {"$gt": a}}, {"_id": {"$in": [{"$gt": a}]}}, {"_id": [a]}, None):
        assert bumped("update", updates=[{"q": {"_id": a}, "u": {}}, {"q": unnamed, "u": {}}]) == [every]
    assert bumped("delete", deletes=[{"q": {"_id": {"$in": [ObjectId() for _ in range(MAX_NAMED_DOCUMENTS + 1)]}}}]
                  ) == [every]
    assert bumped("drop") == bumped("renameCollection") == [every]
