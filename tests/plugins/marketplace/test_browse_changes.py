"""Listings reserved, delisted, relisted or repriced are moved in what buyers learnt, once, whatever the timing."""
import threading

import bson
import pytest

from plugins.marketplace import browse, listing_changes, services


def ids(page):
    return [card["id"] for card in page["items"]]


def version(app):
    from pc_app.toolkit import get_redis

    with app.app_context():
        return get_redis().get(browse.VERSION_KEY)


@pytest.fixture
def stocked(market, seller, buyer, actors):
    """Ten listings of one seller; a buyer with an ICP that ranks them in two groups; another buyer."""
    buyer_icp = actors.partner_owner(name="Scored Buyer", icp={"industries": ["saas"]})
    listings = [market.listed(seller, industry="saas" if n % 2 else "retail", price=1000 + n) for n in range(10)]
    return buyer_icp, listings, actors.partner_owner(name="Other Buyer")


def test_a_reservation_leaves_what_a_buyer_learnt_and_the_next_browse_reads_nothing(app, market, stocked, db_commands):
    buyer, listings, other = stocked
    first = market.browse(buyer)
    assert first["total"] == 10
    before = version(app)
    reserved = listings[3]["id"]   # on the page the buyer saw
    with app.app_context():
        assert services.mark_reserved(reserved, other.partner_id) is not None
    assert version(app) == before   # not a new listings version: every buyer keeps what they learnt
    with db_commands:
        again = market.browse(buyer)
    assert db_commands.commands == []   # taken out of the kept counts and rows, in Redis only
    assert again["total"] == 9 and ids(again) == [i for i in ids(first) if i != reserved]


def test_a_sale_changes_nothing_browse_learnt(app, market, stocked, db_commands):
    buyer, listings, other = stocked
    with app.app_context():
        services.mark_reserved(listings[0]["id"], other.partner_id)
    page = market.browse(buyer)
    before = version(app)
    with app.app_context():
        assert services.mark_sold(listings[0]["id"], other.partner_id) is not None
    assert version(app) == before
    with db_commands:
        assert market.browse(buyer) == page   # the kept answer itself: reserved to sold is not a change to browse
    assert db_commands.commands == []


def test_a_delisting_a_relisting_and_a_reprice_show_at_once_in_what_was_learnt(app, client, market, seller, stocked,
                                                                               db_commands):
    buyer, listings, other = stocked
    market.browse(buyer)
    market.browse(buyer, sort="price")
    before = version(app)
    gone = listings[5]
    assert client.delete(f"/v1/marketplace/leads/{gone['leadId']}/list", headers=seller.headers).status_code == 200
    assert gone["id"] not in ids(market.browse(buyer)) and market.browse(buyer)["total"] == 9
    with app.app_context():
        services.mark_reserved(listings[6]["id"], other.partner_id)
    assert market.browse(buyer)["total"] == 8
    with app.app_context():
        assert services.relist(listings[6]["id"], other.partner_id) is not None   # back, where it was
    with db_commands:
        page = market.browse(buyer)
    assert page["total"] == 9 and listings[6]["id"] in ids(page) and db_commands.commands == []
    assert client.patch(f"/v1/marketplace/leads/{listings[8]['leadId']}/list", json={"price": 500},
                        headers=seller.headers).status_code == 200   # the dearest becomes the cheapest
    with db_commands:
        by_price = market.browse(buyer, sort="price")
    assert db_commands.commands == []
    assert ids(by_price)[0] == listings[8]["id"] and by_price["items"][0]["price"] == 500
    assert version(app) == before   # every change moved rows in what was learnt: no new listings version


def test_a_listing_that_leaves_while_a_first_visit_reads_is_not_taken_out_twice(app, market, stocked, monkeypatch):
    """The reservation lands after the visit loaded what was known and before it read the database."""
    buyer, listings, other = stocked
    # Two rows kept per pattern: the reserved listing (the oldest of its pattern) is past them, where
    # no kept row can tell whether a count included it.
    monkeypatch.setattr(browse, "KEPT_ROWS", 2)
    real_counts = browse._counts
    reserved = []

    def reserve_then_count(queries):
        if not reserved:
            with app.app_context():
                reserved.append(services.mark_reserved(listings[1]["id"], other.partner_id))
        return real_counts(queries)

    monkeypatch.setattr(browse, "_counts", reserve_then_count)
    assert market.browse(buyer)["total"] == 9   # it read the database after the reservation
    assert reserved and reserved[0] is not None
    monkeypatch.setattr(browse, "_counts", real_counts)
    page = market.browse(buyer, perPage=5, page=2)   # not the kept answer: what was learnt, if it was kept
    assert page["total"] == 9 and len(ids(market.browse(buyer, perPage=50))) == 9


@pytest.mark.parametrize("visit_first", [False, True])
def test_a_visit_while_a_leave_is_in_flight_keeps_nothing_it_read(app, market, stocked, monkeypatch, visit_first):
    """Another buyer's request runs after the leave was announced and before it settled: before its write
    (what it reads still holds the row) or after it (what it reads lacks it already)."""
    from plugins.marketplace.models import Listing

    buyer, listings, other = stocked
    monkeypatch.setattr(browse, "KEPT_ROWS", 2)   # the target is past its pattern's kept rows
    target = listings[2]["id"]
    seen = []

    def visit():
        thread = threading.Thread(target=lambda: seen.append(app.test_client().get(
            "/v1/marketplace/leads", query_string={"perPage": 50}, headers=buyer.headers).get_json()))
        thread.start()   # another request, as another buyer's would be, while this one is in flight
        thread.join(30)

    def write_with_a_visit():
        if visit_first:
            visit()
        listing = Listing.objects(id=target, status="listed").modify(new=True, set__status="reserved",
                                                                       set__reserved_by=other.partner_id)
        if not visit_first:
            visit()
        return listing

    with app.app_context():
        listing, told = listing_changes.changing(write_with_a_visit, services._leaves)
    assert told and listing is not None
    assert seen[0]["total"] == (10 if visit_first else 9)
    assert market.browse(buyer, perPage=5, page=2)["total"] == 9
    assert len(ids(market.browse(buyer, perPage=50))) == 9


def test_a_text_search_learns_again_rather_than_guess_how_the_database_reads_a_regex(app, market, seller, stocked):
    buyer, listings, other = stocked
    assert market.browse(buyer, q="Initech")["total"] == 0
    named = market.listed(seller, company="Initech", industry="saas")
    found = market.browse(buyer, q="initech")
    assert ids(found) == [named["id"]]
    with app.app_context():
        services.mark_reserved(named["id"], other.partner_id)
    assert market.browse(buyer, q="initech")["total"] == 0


@pytest.mark.parametrize("row, match, expected", [
    ({"industry": "saas"}, {"industry": "saas"}, True),
    ({"industry": "saas"}, {"industry": {"$in": ["retail", "saas"]}}, True),
    ({"industry": None}, {"industry": {"$in": ["saas"]}}, False),
    ({}, {"industry": {"$nin": ["saas"]}}, True),          # a missing field is in no list
    ({"fit_terms": ["s:vp", "t:cto"]}, {"fit_terms": {"$in": ["t:cto"]}}, True),   # an array: any element
    ({"fit_terms": ["s:vp", "t:cto"]}, {"fit_terms": {"$nin": ["t:cto"]}}, False),
    ({"seller": "a"}, {"seller": {"$ne": "b"}}, True),
    ({}, {"seller": {"$ne": "b"}}, True),
    ({"price": 900}, {"price": {"$gte": 500, "$lte": 900}}, True),
    ({"price": 901}, {"price": {"$gte": 500, "$lte": 900}}, False),
    ({}, {"price": {"$lte": 900}}, False),                  # a missing field is never in a range
    ({"price": 5, "status": "listed"}, {"$and": [{"status": "listed"}, {"price": {"$lte": 4}}]}, False),
    ({"a": 1}, {"$or": [{"a": 2}, {"a": 1}]}, True),
])
def test_a_row_meets_a_match_as_the_database_says(row, match, expected):
    assert listing_changes.meets(match, row) is expected


@pytest.mark.parametrize("match", [{"company": {"$regex": "x", "$options": "i"}}, {"a": {"$exists": True}},
                                   {"$nor": [{"a": 1}]}])
def test_a_condition_it_does_not_evaluate_is_unknown(match):
    with pytest.raises(listing_changes.Unknown):
        listing_changes.meets(match, {"a": 1, "company": "x"})


def test_a_write_that_raised_after_the_database_applied_it_has_buyers_learn_again(app, market, stocked):
    """A connection lost after the server wrote: the leave may have happened, so nothing kept from before it is used."""
    from plugins.marketplace.models import Listing

    buyer, listings, other = stocked
    assert market.browse(buyer, perPage=50)["total"] == 10

    def write_then_lose_the_answer():
        Listing.objects(id=listings[4]["id"], status="listed").modify(new=True, set__status="reserved",
                                                                       set__reserved_by=other.partner_id)
        raise ConnectionError("connection closed before the answer came")

    with app.app_context(), pytest.raises(ConnectionError):
        listing_changes.changing(write_then_lose_the_answer, services._leaves)
    page = market.browse(buyer, perPage=50)
    assert page["total"] == 9 and listings[4]["id"] not in ids(page)


def test_a_change_in_flight_too_long_is_settled_as_maybe_and_its_own_late_settle_bumps_the_version(
        app, market, stocked, monkeypatch):
    """A process that stalled between its write and its settle: the next settle gives up on it, and it,
    settling after all, starts a new listings version rather than tell a change nobody waits for."""
    from plugins.marketplace.models import Listing

    buyer, listings, other = stocked
    assert market.browse(buyer, perPage=50)["total"] == 10
    before = version(app)
    real_now = listing_changes._now_ms

    def stalled_write():
        listing = Listing.objects(id=listings[0]["id"], status="listed").modify(
            new=True, set__status="reserved", set__reserved_by=other.partner_id)
        monkeypatch.setattr(listing_changes, "_now_ms", lambda: real_now() + listing_changes.IN_FLIGHT_MS + 1000)
        assert services.mark_reserved(listings[1]["id"], other.partner_id) is not None   # settles the stalled one as MAYBE
        return listing

    with app.app_context():
        assert services._changes_browse(stalled_write, services._leaves) is not None
        from pc_app.toolkit import get_redis
        assert get_redis().hgetall(listing_changes.ROWS_KEY)[b"1"] == listing_changes.MAYBE
    assert version(app) != before   # its late settle was refused: a new listings version
    page = market.browse(buyer, perPage=50)
    assert page["total"] == 8 and {listings[0]["id"], listings[1]["id"]}.isdisjoint(ids(page))


def test_edits_and_deletions_of_leads_that_are_not_listed_announce_no_change(app, client, market, seller, stocked):
    """A CRM sync edits thousands of leads, few of them listed: announcing each would keep buyers from
    saving what they learn while it runs (a change announced meanwhile refuses the save)."""
    from pc_app.toolkit import get_redis

    def announced():
        with app.app_context():
            return get_redis().get(listing_changes.SEQ_KEY)

    before = announced()
    lead_id = market.lead(seller, job_title="Not Listed")
    assert client.patch(f"/v1/leads/{lead_id}", json={"company": "Edited"}, headers=seller.headers).status_code == 200
    assert client.delete(f"/v1/leads/{lead_id}", headers=seller.headers).status_code == 204
    assert announced() == before


def test_a_change_whose_rows_cannot_be_kept_still_answers_and_buyers_learn_again(app, market, stocked):
    """The write is done: browse's bookkeeping failing must not turn its answer into an error."""
    from plugins.marketplace.models import Listing

    buyer, listings, other = stocked
    assert market.browse(buyer, perPage=50)["total"] == 10

    def unkeepable(listing):
        raise ValueError("a value BSON cannot hold")

    with app.app_context():
        listing, _told = listing_changes.changing(
            lambda: Listing.objects(id=listings[7]["id"], status="listed").modify(
                new=True, set__status="reserved", set__reserved_by=other.partner_id), unkeepable)
    assert listing is not None and listing.status == "reserved"
    page = market.browse(buyer, perPage=50)
    assert page["total"] == 9 and listings[7]["id"] not in ids(page)


def _stored_knowledge(app) -> tuple[str, dict]:
    """The one buyer's knowledge kept in Redis: its key and its fields (``l``: the changes it has applied)."""
    from pc_app.toolkit import get_redis

    with app.app_context():
        redis = get_redis()
        [key] = redis.keys("pc:marketplace:browse-patterns:*")
        return key, bson.decode(redis.get(key))


def _changes_seen(app) -> int:
    from pc_app.toolkit import get_redis

    with app.app_context():
        return int(get_redis().get(listing_changes.SEQ_KEY) or 0)


def test_knowledge_that_only_had_changes_applied_is_saved_once_enough_behind_or_half_its_ttl_old(
        app, market, stocked, db_commands):
    """Saving writes all of it again: a page after a change applies the change without saving, until the
    stored knowledge is ``SAVE_BEHIND_CHANGES`` behind or half its TTL old; every page is right meanwhile."""
    buyer, listings, other = stocked
    assert market.browse(buyer)["total"] == 10
    _key, stored = _stored_knowledge(app)
    learnt_at = stored["l"]
    with app.app_context():
        services.mark_reserved(listings[1]["id"], other.partner_id)
    with db_commands:
        assert market.browse(buyer)["total"] == 9
    assert db_commands.commands == [] and _stored_knowledge(app)[1]["l"] == learnt_at   # applied, not saved
    for _ in range(browse.SAVE_BEHIND_CHANGES // 2):   # a relisting and a reservation: two changes each
        with app.app_context():
            services.relist(listings[1]["id"], other.partner_id)
            services.mark_reserved(listings[1]["id"], other.partner_id)
        with db_commands:
            page = market.browse(buyer)
        assert db_commands.commands == [] and page["total"] == 9 and listings[1]["id"] not in ids(page)
    assert _stored_knowledge(app)[1]["l"] == _changes_seen(app)   # saved once SAVE_BEHIND_CHANGES behind
    # Half its TTL old: saved with the next change, so that a buyer's knowledge outlives a slow trickle.
    key, stored = _stored_knowledge(app)
    with app.app_context():
        from pc_app.toolkit import get_redis

        get_redis().set(key, bson.encode({**stored, "s": stored["s"] - browse.COUNTS_TTL_SECONDS}),
                        ex=browse.COUNTS_TTL_SECONDS)
        services.relist(listings[1]["id"], other.partner_id)
    assert market.browse(buyer)["total"] == 10
    assert _stored_knowledge(app)[1]["l"] == _changes_seen(app)


def test_knowledge_no_change_concerns_keeps_up_with_the_changes_and_is_never_learnt_again(
        app, market, stocked, db_commands, monkeypatch):
    """A buyer browsing retail leads while saas listings come and go: its knowledge is saved as it falls
    behind, so it never falls past what can be applied at once (which would have it learnt again)."""
    buyer, listings, other = stocked
    monkeypatch.setattr(listing_changes, "MOST_AT_ONCE", browse.SAVE_BEHIND_CHANGES + 4)
    retail = market.browse(buyer, industry="retail")
    saas = listings[1]["id"]
    assert retail["total"] == 5 and saas not in ids(retail)
    for _ in range(listing_changes.MOST_AT_ONCE // 2 + 1):   # past MOST_AT_ONCE changes in all
        with app.app_context():
            services.mark_reserved(saas, other.partner_id)
            services.relist(saas, other.partner_id)
        with db_commands:
            assert market.browse(buyer, industry="retail") == retail
        assert db_commands.commands == []
