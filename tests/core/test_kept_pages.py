"""A list's JSON answer is kept in Redis until the next write to its collection, and never longer than its setting."""
import threading
import zlib

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
    # Kept compressed, after the version it was kept under:
    (key,) = _page_keys(app)
    kept = get_redis(app).get(key).partition(b":")[2]
    assert zlib.decompress(kept) == first.data and len(kept) < len(first.data) / 2
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
