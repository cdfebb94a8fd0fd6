"""A list's JSON answer is kept in Redis until the next write to its collection, and never longer than its setting."""
import gzip
import struct
import threading
import time

import pytest

from pc_app.collection_versions import LOCAL, LocalCopies, collection_key, database_key, remember_request_versions
from pc_app.testing import RedisCommands

from .test_round_trips import _commands_for, _seed_leads, _signed_in_and_kept


def _page_keys(app):
    from pc_app.redis_client import get_redis

    return sorted(get_redis(app).keys("pc:page:*"))


def _names(body) -> list[str]:
    return sorted(item["firstName"] for item in body["items"])


def test_an_unchanged_page_is_answered_again_without_reading_or_dumping(app, client, actors, db_commands):
    from pc_app.redis_client import get_redis

    seller = actors.partner_owner()
    colleague = actors.member(seller.partner)
    assert client.get("/v1/auth/me", headers=seller.headers).status_code == 200  # the seller is kept
    _seed_leads(app, seller.partner_id, 12)
    url = "/v1/leads?perPage=5&page=2"
    with db_commands:
        first = client.get(url, headers=seller.headers)
    assert db_commands.commands == ["aggregate", "aggregate"]
    with db_commands:
        again = client.get(url, headers=seller.headers)
    assert db_commands.commands == [] and again.status_code == 200
    assert again.data == first.data and again.mimetype == "application/json"
    # Kept compressed, after the version it was kept under and its deadline:
    (key,) = _page_keys(app)
    version, _, kept = get_redis(app).get(key).partition(b":")
    assert version.endswith(b"+d") and 0 < struct.unpack(">d", kept[:8])[0] - time.time() <= 30
    assert gzip.decompress(kept[8:]) == first.data and len(kept) < len(first.data) / 2
    # The key is the query, which holds the scope: a colleague shares the page (their own user is
    # read, not the page) ...
    commands, body = _commands_for(client, db_commands, url, colleague.headers)
    assert commands == ["find"] and body == first.get_json()
    # ... and another partner's same URL is another query, answered from its own leads.
    other = _signed_in_and_kept(client, actors)
    _seed_leads(app, other.partner_id, 6)
    commands, body = _commands_for(client, db_commands, url, other.headers)
    assert commands != [] and body["total"] == 6
    assert {item["partnerId"] for item in body["items"]} == {other.partner_id}


@pytest.mark.parametrize("accept, gzipped", [("gzip, deflate, br", True), ("br;q=1.0, gzip;q=0.5", True),
                                              ("*", True), ("gzip;q=0", False), ("identity", False), (None, False)])
def test_a_kept_page_is_sent_gzipped_as_kept_to_a_client_that_accepts_it(app, client, actors, accept, gzipped):
    seller = _signed_in_and_kept(client, actors)
    _seed_leads(app, seller.partner_id, 12)
    url = "/v1/leads?perPage=5&page=2"
    plain = client.get(url, headers=seller.headers)  # kept now
    response = client.get(url, headers={**seller.headers, **({"Accept-Encoding": accept} if accept else {})})
    assert response.status_code == 200 and "Accept-Encoding" in response.headers["Vary"]
    assert "Accept-Encoding" in plain.headers["Vary"]
    if gzipped:
        assert response.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(response.data) == plain.data and len(response.data) < len(plain.data) / 2
        assert int(response.headers["Content-Length"]) == len(response.data)
    else:
        assert "Content-Encoding" not in response.headers and response.data == plain.data


def test_any_write_to_the_collection_shows_on_the_next_request(app, client, actors, db_commands):
    from pc_app.core.models import Lead

    seller = _signed_in_and_kept(client, actors)
    _seed_leads(app, seller.partner_id, 3)
    url = "/v1/leads"
    assert _names(_commands_for(client, db_commands, url, seller.headers)[1]) == ["Lead0", "Lead1", "Lead2"]
    # A raw conditional update through the app's client (a sync job's), not the API:
    with app.app_context():
        Lead._get_collection().update_one({"first_name": "Lead0"}, {"$set": {"first_name": "Aaron"}})
    commands, body = _commands_for(client, db_commands, url, seller.headers)
    assert _names(body) == ["Aaron", "Lead1", "Lead2"] and commands == ["aggregate"]
    # The API's own update and delete:
    lead_id = next(item["id"] for item in body["items"] if item["firstName"] == "Aaron")
    assert client.patch(f"/v1/leads/{lead_id}", json={"lastName": "Zed"}, headers=seller.headers).status_code == 200
    body = _commands_for(client, db_commands, url, seller.headers)[1]
    assert {item["firstName"]: item["lastName"] for item in body["items"]}["Aaron"] == "Zed"
    assert client.delete(f"/v1/leads/{lead_id}", headers=seller.headers).status_code == 204
    body = _commands_for(client, db_commands, url, seller.headers)[1]
    assert _names(body) == ["Lead1", "Lead2"] and body["total"] == 2


def test_a_kept_page_lives_at_most_its_setting_and_zero_turns_it_off(app, client, actors, db_commands):
    from pc_app.redis_client import get_redis

    seller = _signed_in_and_kept(client, actors)
    _seed_leads(app, seller.partner_id, 3)
    _commands_for(client, db_commands, "/v1/leads", seller.headers)
    assert [0 < get_redis(app).ttl(key) <= 30 for key in _page_keys(app)] == [True]
    get_redis(app).delete(*_page_keys(app))
    app.config["LIST_PAGE_CACHE_SECONDS"] = 0
    for _ in range(2):
        commands, body = _commands_for(client, db_commands, "/v1/leads", seller.headers)
        assert (commands, body["total"]) == (["aggregate"], 3)  # the short page is its own count
    assert _page_keys(app) == []


def test_a_page_read_before_a_write_is_never_kept_past_it(app, client, actors, db_latency):
    """A request reads a page, a write lands and bumps the version, then the request keeps what it dumped.

    What it kept is filed under the version it saw before reading, which the write has ended;
    filed under the version at the time of keeping, the next request would be answered the old page.
    """
    from pc_app.core.models import Lead

    seller = _signed_in_and_kept(client, actors)
    _seed_leads(app, seller.partner_id, 3)
    held = db_latency.delay("aggregate", "leads", 0.5, when="after")  # the page is read; keeping it waits
    answers = []
    reader = threading.Thread(target=lambda: answers.append(
        app.test_client().get("/v1/leads", headers=seller.headers)))
    reader.start()
    while not held.met:
        threading.Event().wait(0.01)
    with app.app_context():
        Lead._get_collection().update_one({"first_name": "Lead0"}, {"$set": {"first_name": "Aaron"}})
    reader.join()
    db_latency.clear()
    assert _names(answers[0].get_json()) == ["Lead0", "Lead1", "Lead2"]  # it read before the write
    assert _names(client.get("/v1/leads", headers=seller.headers).get_json()) == ["Aaron", "Lead1", "Lead2"]


def test_a_page_this_process_holds_costs_the_session_round_trip_only(app, client, actors, db_commands):
    """The session check reads the versions of what this process caches; a page held under them needs no Redis."""
    from pc_app.redis_client import get_redis

    seller = _signed_in_and_kept(client, actors)
    _seed_leads(app, seller.partner_id, 12)
    url = "/v1/leads?perPage=5&page=2"
    first = client.get(url, headers=seller.headers)
    with RedisCommands(get_redis(app)) as redis_seen, db_commands:
        again = client.get(url, headers=seller.headers)
    assert again.data == first.data and db_commands.commands == []
    assert redis_seen.calls == {"mget": 1}
    # Another process holds nothing: it is answered from Redis, one more round trip and no database.
    LOCAL.clear()
    with RedisCommands(get_redis(app)) as redis_seen, db_commands:
        third = client.get(url, headers=seller.headers)
    assert third.data == first.data and db_commands.commands == []
    assert redis_seen.calls == {"mget": 1, "get": 1}
    # A write made anywhere is seen by the next request's versions: the held page is not used.
    from pc_app.core.models import Lead

    with app.app_context():
        Lead._get_collection().update_many({"partner": Lead.objects.first().partner}, {"$set": {"first_name": "Zoe"}})
    assert {item["firstName"] for item in client.get(url, headers=seller.headers).get_json()["items"]} == {"Zoe"}


def test_a_write_in_the_request_ends_the_versions_it_read_first(app):
    """A route that writes and then reads a cached value sees its own write (``WriteVersions.started``)."""
    from pc_app.collection_versions import cached
    from pc_app.core.models import Lead
    from pc_app.redis_client import get_redis

    with app.test_request_context("/"):
        leads = Lead._get_collection()
        redis = get_redis()

        def count() -> int:
            return cached(redis, leads, "pc:test:lead-count", lambda: leads.count_documents({}), 30)

        assert count() == 0  # known now: the next requests read its version with their session
        keys = [database_key(leads.database.name), collection_key(leads.database.name, leads.name)]
        remember_request_versions(dict(zip(keys, redis.mget(keys))))  # as a signed-in request's start does
        assert count() == 0
        leads.insert_one({"first_name": "New", "is_deleted": False})
        assert count() == 1


def test_after_redis_lost_its_counters_no_copy_held_before_is_used(app, app_config, client, actors, signed_in):
    """A flush restarts every counter: the database's then starts again at random, so "k" writes after it
    never name the version "k" writes named before it, and this process's copies from before are not used."""
    from pymongo import MongoClient

    from pc_app.core.models import Lead
    from pc_app.redis_client import get_redis
    from pc_app.testing import bearer

    seller = _signed_in_and_kept(client, actors)
    _seed_leads(app, seller.partner_id, 3)
    assert _names(client.get("/v1/leads", headers=seller.headers).get_json()) == ["Lead0", "Lead1", "Lead2"]
    with app.app_context():
        leads = Lead._get_collection()
    writes = int(get_redis(app).get(collection_key(leads.database.name, leads.name)))
    get_redis(app).flushdb()  # counters, sessions and kept values gone; this process keeps its copies
    headers = bearer(signed_in(seller.user.email)["accessToken"])
    with app.app_context():
        for _ in range(writes):
            leads.delete_many({"_id": None})  # the leads counter counts up to where it was
    assert int(get_redis(app).get(collection_key(leads.database.name, leads.name))) == writes
    outside = MongoClient(app_config["MONGODB_URL"])  # mongosh, say: no counter is bumped
    try:
        outside[leads.database.name][leads.name].update_one({"first_name": "Lead0"}, {"$set": {"first_name": "Aaron"}})
    finally:
        outside.close()
    assert _names(client.get("/v1/leads", headers=headers).get_json()) == ["Aaron", "Lead1", "Lead2"]


def test_a_local_copy_is_used_only_under_its_version_before_its_deadline_and_within_its_bytes():
    copies = LocalCopies(limit=1600)
    copies.put("a", "1.2", time.time() + 30, b"x" * 90)
    assert copies.get("a", "1.2") == b"x" * 90
    assert copies.get("a", "1.3") is None and copies.get("a", "1.2") is None  # a newer version drops it
    copies.put("b", "1.2", time.time() - 1, b"y")
    assert copies.get("b", "1.2") is None  # past its deadline
    for n in range(30):
        copies.put(f"k{n}", "1", time.time() + 30, b"z" * 90)
    assert copies.size <= 1600 and copies.get("k0", "1") is None and copies.get("k29", "1") == b"z" * 90
    copies.put("huge", "1", time.time() + 30, b"h" * 200)
    assert copies.get("huge", "1") is None  # more than a sixteenth of the limit: not held
