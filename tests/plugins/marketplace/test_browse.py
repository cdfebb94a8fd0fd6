"""Browsing the marketplace: what a buyer sees, filtered, ranked and paged in the database."""
import pytest

from plugins.marketplace import services


def ids(page):
    return [card["id"] for card in page["items"]]


def test_cards_are_masked_and_carry_no_last_name_or_notes(market, seller, buyer, client):
    listing = market.listed(seller, first_name="A", last_name="Secret", email="a@tiny.io", phone=None)
    client.post(f"/v1/leads/{listing['leadId']}/notes", json={"text": "call after 5"}, headers=seller.headers)
    card = market.browse(buyer)["items"][0]
    assert card["email"] == "a***@tiny.io" and card["phone"] is None
    assert "Secret" not in str(card) and "call after 5" not in str(card)
    assert set(card) >= {"id", "leadId", "price", "currency", "firstName", "company", "jobTitle", "seniority",
                         "industry", "companySize", "country", "leadAgeDays", "listedAt", "icpScore",
                         "matchedCriteria", "viewCount"}
    assert card["leadAgeDays"] == 0


def test_international_phone_is_masked_on_the_card(market, seller, buyer):
    market.listed(seller, phone="+447911123456")
    assert market.browse(buyer)["items"][0]["phone"] == "+44 **** **3456"


def test_own_listings_never_appear(market, seller, buyer):
    market.listed(buyer)
    theirs = market.listed(seller)
    assert ids(market.browse(buyer)) == [theirs["id"]]
    assert market.browse(seller)["items"][0]["id"] != theirs["id"]


def test_a_lead_whose_email_the_buyer_already_owns_never_appears(market, seller, buyer, client):
    market.listed(seller, email="shared@example.com")
    other = market.listed(seller, email="fresh@example.com")
    owned = market.lead(buyer, email="Shared@Example.com")
    page = market.browse(buyer)
    assert ids(page) == [other["id"]] and page["total"] == 1
    # Once the buyer's own lead is deleted it no longer counts as owned.
    assert client.delete(f"/v1/leads/{owned}", headers=buyer.headers).status_code == 204
    assert market.browse(buyer)["total"] == 2


def test_reserved_sold_and_delisted_listings_are_not_browsable(market, seller, buyer, actors, app, client):
    other = actors.partner_owner()
    reserved, sold, delisted, listed = (market.listed(seller) for _ in range(4))
    with app.app_context():
        services.mark_reserved(reserved["id"], other.partner_id)
        services.mark_reserved(sold["id"], other.partner_id)
        services.mark_sold(sold["id"], other.partner_id)
    client.delete(f"/v1/marketplace/leads/{delisted['leadId']}/list", headers=seller.headers)
    assert ids(market.browse(buyer)) == [listed["id"]]


def test_only_active_partners_may_browse(market, actors, client):
    pending = actors.partner_owner(status="onboarding")
    response = client.get("/v1/marketplace/leads", headers=pending.headers)
    assert response.status_code == 403
    assert client.get("/v1/marketplace/leads").status_code == 401


def test_filters(market, seller, buyer):
    saas_us = market.listed(seller, industry="saas", country="US", company_size="51-200", seniority="vp",
                            price=1000, company="Globex", job_title="Head of Growth")
    retail_de = market.listed(seller, industry="retail", country="DE", company_size="11-50",
                              seniority="manager", price=3000, company="Initech", job_title="Buyer")
    bank_gb = market.listed(seller, industry="banking", country="GB", company_size="5001+",
                            seniority="c_level", price=9000, company="Umbrella", job_title="CFO")

    def found(**params):
        return set(ids(market.browse(buyer, **params)))

    assert found(industry="saas") == {saas_us["id"]}
    assert found(industry=["saas", "banking"]) == {saas_us["id"], bank_gb["id"]}
    assert found(companySize="11-50") == {retail_de["id"]}
    assert found(country="de") == {retail_de["id"]}                       # codes are case-blind
    assert found(country=["DE", "gb"]) == {retail_de["id"], bank_gb["id"]}
    assert found(seniority="c_level") == {bank_gb["id"]}
    assert found(minPrice=2000) == {retail_de["id"], bank_gb["id"]}
    assert found(maxPrice=3000) == {saas_us["id"], retail_de["id"]}
    assert found(minPrice=2000, maxPrice=5000) == {retail_de["id"]}
    assert found(q="init") == {retail_de["id"]}                           # company
    assert found(q="growth") == {saas_us["id"]}                           # job title
    assert found(q="a.b(") == set()                                       # regex characters are literal
    assert found(industry="saas", country="DE") == set()


def test_min_score_keeps_only_good_fits_and_totals_follow(market, seller, buyer):
    # buyer's ICP: saas, 51-200, US, "sales"/vp.
    full = market.listed(seller)                                                       # 100
    partial = market.listed(seller, industry="retail", company_size="11-50")           # 40
    none = market.listed(seller, industry="retail", company_size="11-50", country="DE",
                         job_title="Clerk", seniority="individual")                    # 0
    page = market.browse(buyer, minScore=40)
    assert ids(page) == [full["id"], partial["id"]] and page["total"] == 2
    assert [c["icpScore"] for c in page["items"]] == [100, 40]
    assert market.browse(buyer, minScore=0)["total"] == 3
    assert ids(market.browse(buyer, minScore=41)) == [full["id"]]
    assert none["id"] in ids(market.browse(buyer))


def test_default_sort_is_best_fit_then_newest(market, seller, buyer):
    old_fit = market.listed(seller)
    weak = market.listed(seller, industry="retail", company_size="11-50", country="DE")      # 20
    new_fit = market.listed(seller)
    middle = market.listed(seller, industry="retail")                                         # 65
    page = market.browse(buyer)
    assert ids(page) == [new_fit["id"], old_fit["id"], middle["id"], weak["id"]]
    assert [c["icpScore"] for c in page["items"]] == [100, 100, 65, 20]
    assert page["items"][2]["matchedCriteria"] == ["companySize", "country", "jobTitleOrSeniority"]


def test_sort_newest_and_by_price(market, seller, buyer):
    a = market.listed(seller, price=3000)
    b = market.listed(seller, price=1000, industry="retail")
    c = market.listed(seller, price=2000)
    assert ids(market.browse(buyer, sort="newest")) == [c["id"], b["id"], a["id"]]
    assert ids(market.browse(buyer, sort="price")) == [b["id"], c["id"], a["id"]]
    assert ids(market.browse(buyer, sort="-price")) == [a["id"], c["id"], b["id"]]
    # Whatever the order, each card carries the buyer's score for it.
    assert [card["icpScore"] for card in market.browse(buyer, sort="price")["items"]] == [65, 100, 100]
    assert ids(market.browse(buyer, sort="price", minScore=100)) == [c["id"], a["id"]]


def test_buyer_without_icp_sees_null_scores_newest_first(market, seller, actors):
    plain = actors.partner_owner()
    first, second = market.listed(seller), market.listed(seller)
    page = market.browse(plain)
    assert ids(page) == [second["id"], first["id"]]
    assert [(c["icpScore"], c["matchedCriteria"]) for c in page["items"]] == [(None, []), (None, [])]
    assert market.browse(plain, minScore=0)["total"] == 0          # nothing has a score to compare


def test_pagination_with_totals(market, seller, buyer):
    made = [market.listed(seller, price=1000 + i) for i in range(7)]
    first = market.browse(buyer, sort="price", perPage=3)
    assert (first["total"], first["page"], first["perPage"], first["pages"]) == (7, 1, 3, 3)
    third = market.browse(buyer, sort="price", perPage=3, page=3)
    assert ids(third) == [made[6]["id"]]
    beyond = market.browse(buyer, sort="price", perPage=3, page=9)
    assert beyond["items"] == [] and beyond["total"] == 7


@pytest.mark.parametrize("params, field", [
    ({"industry": "spaceflight"}, "industry"), ({"sort": "random"}, "sort"), ({"minScore": 101}, "minScore"),
    ({"country": "XX"}, "country"), ({"minPrice": -1}, "minPrice"), ({"perPage": 500}, "perPage"),
    # Beyond what MongoDB stores (was a 500), and digits that only look like digits.
    ({"minPrice": "9223372036854775808"}, "minPrice"), ({"maxPrice": "9" * 5000}, "maxPrice"),
    ({"minPrice": "²"}, "minPrice"), ({"minScore": "١٢"}, "minScore"), ({"page": "1.0"}, "page"),
])
def test_bad_browse_arguments_are_422_naming_the_field(client, buyer, params, field):
    response = client.get("/v1/marketplace/leads", query_string=params, headers=buyer.headers)
    assert response.status_code == 422
    assert any(key.startswith(field) for key in response.get_json()["errors"])


@pytest.mark.parametrize("listings, per_page, page", [(1, 25, 1), (30, 100, 1), (30, 5, 4)])
def test_browse_newest_costs_a_fixed_number_of_database_round_trips(market, seller, buyer, db_commands,
                                                                   listings, per_page, page):
    for i in range(listings):
        market.listed(seller, industry="saas" if i % 2 else "retail")
    market.lead(buyer, email="owned@example.com")
    with db_commands:
        market.browse(buyer, perPage=per_page, page=page, q="acme", sort="newest")
    # the user, the partner and the buyer's own e-mails (one round trip), the capped count, the page.
    assert db_commands.commands == ["aggregate", "aggregate", "aggregate"]


def test_the_listed_titles_are_read_once_and_a_new_title_joins_them_without_a_read(
        app, market, seller, buyer, client, db_commands):
    """The first listing made while no titles are kept reads them; a reservation, a reprice or a
    delisting leaves them as they are; a new listing and a seller's edit add their title to them,
    so it meets the buyer's keyword at once (``minScore`` reads by pattern) and no buyer reads the
    titles again; a change whose titles are not known has them read again."""
    from plugins.marketplace import browse

    app.config["LIST_PAGE_CACHE_SECONDS"] = 0
    director = {"seniority": "director"}  # FULL_ICP: job titles ["sales"], seniorities ["vp"]
    with db_commands:
        reserved = market.listed(seller, job_title="CTO", **director)
    assert db_commands.commands.count("distinct") == 1   # before the listing is written (``keep_titles``)
    with db_commands:
        repriced = market.listed(seller, job_title="CFO", **director)
        delisted = market.listed(seller, job_title="COO", **director)
        market.browse(buyer)
    assert "distinct" not in db_commands.commands
    with app.app_context():
        services.mark_reserved(reserved["id"], buyer.partner_id)
    url = "/v1/marketplace/leads/{}/list"
    assert client.patch(url.format(repriced["leadId"]), json={"price": 6000}, headers=seller.headers).status_code == 200
    assert client.delete(url.format(delisted["leadId"]), headers=seller.headers).status_code == 200
    fresh = market.listed(seller, job_title="Head of Sales Operations", **director)
    with db_commands:
        best = market.browse(buyer, minScore=100)
    assert "distinct" not in db_commands.commands
    assert ids(best) == [fresh["id"]] and best["items"][0]["icpScore"] == 100
    # The seller renames the CFO lead: its listing's snapshot follows, and so do the kept titles.
    edited = client.patch(f"/v1/leads/{repriced['leadId']}", json={"jobTitle": "Chief Sales Officer"},
                          headers=seller.headers)
    assert edited.status_code == 200, edited.get_json()
    with db_commands:
        best = market.browse(buyer, minScore=100)
    assert "distinct" not in db_commands.commands
    assert sorted(ids(best)) == sorted([fresh["id"], repriced["id"]])
    with app.app_context():
        assert browse.listed_titles() == ["cfo", "chief sales officer", "coo", "cto", "head of sales operations"]
        browse.listings_changed()  # what changed is not known (listings written behind the services' back)
    with db_commands:
        market.browse(buyer, minScore=100)
    assert db_commands.commands.count("distinct") == 1


def test_a_titles_read_that_began_before_a_new_listing_does_not_keep_titles_without_it(
        app, market, seller, buyer, monkeypatch):
    """Nothing kept yet: a buyer reads the titles from the database, a listing with a new title is made,
    and only then would the buyer keep what it read. It must not: the next buyer would never see the
    new title meet their keyword (nothing else reads the titles again while buyers browse)."""
    import threading

    from plugins.marketplace import browse

    from pc_app.redis_client import get_redis

    app.config["LIST_PAGE_CACHE_SECONDS"] = 0
    market.listed(seller, job_title="CTO", seniority="director")
    get_redis(app).delete(browse.TITLES_KEY)   # none kept (their TTL ran out)
    read, listed = threading.Event(), threading.Event()
    real_read = browse.read_listed_titles

    def read_then_wait():
        titles = real_read()
        if threading.current_thread() is reader:   # the buyer's read, not the one the listing makes first
            read.set()
            assert listed.wait(10)  # the listing is made between the read and the keeping
        return titles

    monkeypatch.setattr(browse, "read_listed_titles", read_then_wait)
    seen = []

    def first_buyer():
        with app.app_context():
            seen.append(browse.listed_titles())

    reader = threading.Thread(target=first_buyer)
    reader.start()
    assert read.wait(10)
    fresh = market.listed(seller, job_title="VP Sales EMEA", seniority="director")
    listed.set()
    reader.join(10)
    monkeypatch.setattr(browse, "read_listed_titles", real_read)
    assert seen == [["cto"]]  # read before the listing was made
    with app.app_context():
        assert browse.listed_titles() == ["cto", "vp sales emea"]
    best = market.browse(buyer, minScore=100)
    assert ids(best) == [fresh["id"]]


def test_titles_read_while_a_listing_is_being_made_are_not_kept(app, market, seller, buyer):
    """A buyer reads the titles from the database after a listing with a new title was written and before
    it settled: kept, they would have the listing's settle find its title and take it for one browse
    knew, so what buyers learnt without it would be kept and the listing never meet their keyword."""
    import threading

    from pc_app.core.models import Lead
    from pc_app.redis_client import get_redis
    from plugins.marketplace import browse
    from plugins.marketplace.models import Listing

    app.config["LIST_PAGE_CACHE_SECONDS"] = 0
    market.listed(seller, job_title="CTO", seniority="director")
    assert market.browse(buyer, minScore=100)["total"] == 0   # learnt without the title to come
    get_redis(app).delete(browse.TITLES_KEY)   # none kept (their TTL ran out)
    lead_id = market.lead(seller, job_title="VP Sales EMEA", seniority="director")
    seen = []

    def insert_then_a_buyer_reads_the_titles():
        with app.app_context():
            lead = Lead.objects(id=lead_id).first()
            listing = Listing(lead=lead.id, seller=seller.partner_id, open_key=lead.id, price=5000, currency="usd",
                              status="listed", **services.snapshot_of(lead)).save(force_insert=True)

        def other_buyer():
            with app.app_context():
                seen.append(browse.listed_titles())

        reader = threading.Thread(target=other_buyer)
        reader.start()
        reader.join(10)
        return listing

    with app.app_context():
        made = services._changes_browse(insert_then_a_buyer_reads_the_titles, services._comes_back,
                                        title="vp sales emea")
    assert seen == [["cto", "vp sales emea"]]   # it read the new title, but could not keep it
    assert ids(market.browse(buyer, minScore=100)) == [made.id]


def test_a_lead_the_buyer_gets_hides_its_listing_from_the_next_browse(market, seller, buyer):
    """The buyer's owned e-mails are kept between browses, until the next write to the buyer's leads."""
    listing = market.listed(seller, email="shared@example.com")
    assert [card["id"] for card in market.browse(buyer)["items"]] == [listing["id"]]
    market.lead(buyer, email="Shared@Example.com")  # e.g. imported, or synced from the buyer's CRM
    body = market.browse(buyer)
    assert (body["items"], body["total"]) == ([], 0)


def test_other_partners_lead_writes_leave_a_buyers_kept_browse(app, market, seller, buyer, actors, client,
                                                                db_commands):
    """A browse answer and the buyer's owned e-mails depend on the buyer's own leads only: another
    partner's (or the seller's) leads created, edited or deleted leave them kept."""
    listing = market.listed(seller, email="shared@example.com")
    first = market.browse(buyer)
    other = actors.partner_owner(name="Other Co")
    created = client.post("/v1/leads", json={"firstName": "O", "email": "shared@example.com"}, headers=other.headers)
    assert created.status_code == 201
    lead_url = f"/v1/leads/{created.get_json()['id']}"
    assert client.patch(lead_url, json={"company": "Elsewhere"}, headers=other.headers).status_code == 200
    assert client.delete(lead_url, headers=other.headers).status_code == 204
    from pc_app.redis_client import get_redis
    from pc_app.testing import RedisCommands

    with RedisCommands(get_redis(app)) as redis_seen, db_commands:
        assert market.browse(buyer) == first
    assert db_commands.commands == [] and "set" not in redis_seen.calls  # the kept answer, not built again
    app.config["LIST_PAGE_CACHE_SECONDS"] = 0  # what it is built from: the owned e-mails, what browse learnt
    with db_commands:
        assert market.browse(buyer) == first
    assert db_commands.commands == []
    assert client.patch(f"/v1/leads/{listing['leadId']}", json={"lastName": "Seller-side"},
                        headers=seller.headers).status_code == 200  # also re-snapshots the listing
    with db_commands:
        again = market.browse(buyer)
    assert ids(again) == ids(first) == [listing["id"]]
    # The seller's edit changed the listings version (what browse learnt is read again), but no
    # command reads the buyer's e-mails.
    assert all("leads" not in str(command) for command in db_commands.sent)


@pytest.mark.parametrize("sort", ["newest", "price", "-price"])
def test_browse_by_a_plain_order_reads_its_first_pages_once_per_listings_version(market, seller, buyer, db_commands,
                                                                                  sort):
    ids = [market.listed(seller, price=5000 + i)["id"] for i in range(12)]
    first = market.browse(buyer, perPage=5, page=1, sort=sort)
    with db_commands:
        second = market.browse(buyer, perPage=5, page=2, sort=sort)
    # Warm: the signed-in user and partner, the buyer's own e-mails, the total and the head all come from Redis.
    assert db_commands.commands == []
    shown = [card["id"] for card in first["items"] + second["items"]]
    assert shown == (ids[:10] if sort == "price" else ids[::-1][:10])  # the order's two pages, in order
    assert (first["total"], second["total"]) == (12, 12)
    # A new listing changes the listings version: the kept head is not served any more.
    newest = market.listed(seller, price=600)["id"]
    again = market.browse(buyer, perPage=5, page=1, sort=sort)
    assert again["total"] == 13
    assert (newest in [card["id"] for card in again["items"]]) == (sort in ("newest", "price"))


@pytest.mark.parametrize("listings, per_page, page", [(1, 25, 1), (30, 100, 1), (30, 5, 4), (30, 5, 7)])
@pytest.mark.parametrize("small_rows", [0, 100])
def test_browse_by_score_reads_only_the_patterns_its_page_overlaps(app, market, seller, buyer, db_commands, monkeypatch,
                                                                   listings, per_page, page, small_rows):
    from plugins.marketplace import browse

    monkeypatch.setattr(browse, "KEPT_ROWS", small_rows)
    app.config["LIST_PAGE_CACHE_SECONDS"] = 0  # what is learnt of the patterns, not the kept answer
    for i in range(listings):
        market.listed(seller, industry="saas" if i % 2 else "retail", price=5000 + i)
    market.lead(buyer, email="owned@example.com")
    market.browse(buyer, perPage=per_page, page=page, minScore=0)  # learns the patterns it met (kept in Redis)
    with db_commands:
        body = market.browse(buyer, perPage=per_page, page=page, minScore=0)
    # Warm (what the first request learnt is kept per listings version, the buyer's own e-mails
    # until the leads change, the signed-in user and partner until they change): no round trip
    # at all when the page lies within the kept head of its patterns (KEPT_ROWS rows each),
    # whatever the data size. Without kept rows, one read of the score patterns the page overlaps:
    # saas listings score 100, retail ones 65, so a page across the boundary reads both patterns in
    # one command, a page past the end none, empty patterns none.
    boundary = (listings + 1) // 2
    first, last = (page - 1) * per_page, min(page * per_page, listings) - 1
    reads = 0 if first >= listings or small_rows else 1
    assert db_commands.commands == ["aggregate"] * reads, db_commands.commands
    patterns_read = [1 + sum("$unionWith" in stage for stage in sent["pipeline"]) for sent in db_commands.sent]
    assert patterns_read == [1 + (listings > 1 and first < boundary <= last)] * reads
    assert [card["icpScore"] for card in body["items"]] == sorted((card["icpScore"] for card in body["items"]),
                                                                  reverse=True)


def test_the_patterns_of_an_equal_score_are_read_in_one_command(app, market, seller, actors, db_commands, monkeypatch):
    """Country and job title weigh the same, so "the country only" and "the title only" are two patterns
    of one score: a page inside that score reads both together, merged newest first."""
    from plugins.marketplace import browse

    monkeypatch.setattr(browse, "KEPT_ROWS", 0)  # no kept heads: every page is read
    app.config["LIST_PAGE_CACHE_SECONDS"] = 0  # what browse reads, not the kept answer
    listed = [market.listed(seller, email=f"tie{i}@example.com", **(dict(country="US", job_title="CTO") if i % 2 else
                                                                   dict(country="GB", job_title="Head of Sales")))["id"]
              for i in range(12)]
    buyer = actors.partner_owner(name="Tie Buyer", icp={"countries": ["US"], "job_titles": ["sales"]})
    market.browse(buyer, perPage=4, page=2)  # learns the counts
    with db_commands:
        body = market.browse(buyer, perPage=4, page=2)
    assert ids(body) == listed[::-1][4:8] and {card["icpScore"] for card in body["items"]} == {50}
    assert db_commands.commands == ["aggregate"]  # both patterns, one command
    assert sum("$unionWith" in stage for stage in db_commands.sent[0]["pipeline"]) == 1


def test_a_deep_page_that_its_first_group_does_not_fill_reads_both_groups_at_once(
        app, market, seller, actors, client, db_commands, monkeypatch):
    """The groups before a deep page are sized as far as the page's end, so whether the first group on
    the page fills it is known before reading: here it does not, and both groups are read in one command."""
    from plugins.marketplace import browse

    monkeypatch.setattr(browse, "KEPT_ROWS", 0)  # nothing kept: counts go only as far as asked
    monkeypatch.setattr(browse, "SMALL_PATTERN", 0)
    app.config["LIST_PAGE_CACHE_SECONDS"] = 0  # what browse reads, not the kept answer
    saas = [market.listed(seller, industry="saas", email=f"saas{i}@example.com")["id"] for i in range(25)]
    retail = [market.listed(seller, industry="retail", email=f"retail{i}@example.com")["id"] for i in range(10)]
    buyer = actors.partner_owner(name="Saas Buyer", icp={"industries": ["saas"]})  # scores 100 and 0
    assert client.get("/v1/auth/me", headers=buyer.headers).status_code == 200  # signed-in state kept
    with db_commands:
        body = market.browse(buyer, perPage=10, page=3)
    # Rows 20-29: the five oldest saas listings (score 100), then the five newest retail ones.
    assert ids(body) == saas[::-1][20:] + retail[::-1][:5]
    assert db_commands.commands == ["aggregate"] * 3  # the e-mails, the counts, one read of both groups
    # Later in a listings version, page 1 having counted the saas pattern only as far as its end (10):
    # page 3 counts it further, to its own end, and again reads both groups in one command.
    with app.app_context():
        browse.listings_changed()
    market.browse(buyer, perPage=10, page=1)
    with db_commands:
        again = market.browse(buyer, perPage=10, page=3)
    assert ids(again) == ids(body) and db_commands.commands == ["aggregate"] * 2


def test_a_listing_change_invalidates_the_cached_pattern_counts(market, seller, buyer):
    first = market.listed(seller, industry="retail")
    market.browse(buyer, perPage=1, page=2)  # counts cached
    best = market.listed(seller, industry="saas")
    page1, page2 = market.browse(buyer, perPage=1, page=1), market.browse(buyer, perPage=1, page=2)
    assert ids(page1) == [best["id"]] and ids(page2) == [first["id"]] and page2["total"] == 2


def test_a_misspelled_browse_filter_is_422_naming_it(market, seller, buyer, client):
    market.listed(seller)
    response = client.get("/v1/marketplace/leads?industy=saas", headers=buyer.headers)
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"industy": ["Unknown field."]}


def _four_scores_listed_and_buyer_ready(market, seller, buyer, actors, client):
    """32 listings in four score groups for FULL_ICP, and a buyer whose next browse is a first visit.

    The listed titles are read once per titles version for every buyer: here by another one.
    A lead the buyer gets is a write to the leads, so the owned e-mails are read again; the
    buyer's signed-in state is kept.
    """
    from .conftest import FULL_ICP

    kinds = [dict(industry="saas", company_size="51-200", country="US", job_title="VP Sales"),  # 100
             dict(industry="saas", company_size="51-200", country="GB", job_title="CTO"),  # 60
             dict(industry="saas", company_size="1-10", country="DE", job_title="CTO"),  # 40
             dict(industry="retail", company_size="1-10", country="DE", job_title="CTO")]  # 0
    for i in range(32):
        market.listed(seller, email=f"kind{i}@example.com", **kinds[i % 4])
    market.browse(actors.partner_owner(icp=FULL_ICP), perPage=25)
    market.lead(buyer, email="owned@example.com")
    assert client.get("/v1/auth/me", headers=buyer.headers).status_code == 200


def test_a_first_visit_by_score_costs_three_round_trips_however_many_patterns_its_page_spans(
        app, market, seller, buyer, actors, client, db_commands):
    """The buyer's own e-mails, every pattern's count (with the total) in one command, and the heads of
    every pattern the page reaches in one more: not a count and a read per pattern."""
    app.config["LIST_PAGE_CACHE_SECONDS"] = 0  # the repeat below reads what browse learnt, not the kept answer
    _four_scores_listed_and_buyer_ready(market, seller, buyer, actors, client)
    with db_commands:
        body = market.browse(buyer, perPage=25)
    assert db_commands.commands == ["aggregate"] * 3
    scores = [card["icpScore"] for card in body["items"]]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == 4 and body["total"] == 32
    with db_commands:
        assert market.browse(buyer, perPage=25) == body
    assert db_commands.commands == []  # a repeat reads what the first visit kept


def test_a_first_visit_that_reads_the_signed_in_user_and_partner_reads_the_owned_emails_with_them(
        app, market, seller, buyer, actors, client, db_commands):
    """A buyer's first request once their signed-in state is no longer kept: the user, the partner and the
    buyer's own e-mails in one round trip, then the counts and the heads. Three in all, and the
    listing of an e-mail the buyer owns is still hidden."""
    from pc_app.core.models import Lead
    from pc_app.redis_client import get_redis

    app.config["LIST_PAGE_CACHE_SECONDS"] = 0
    hidden = market.listed(seller, email="owned@example.com", industry="saas", company_size="51-200", country="US",
                           job_title="VP Sales")
    _four_scores_listed_and_buyer_ready(market, seller, buyer, actors, client)
    redis = get_redis(app)
    redis.delete(*redis.keys("pc:auth:kept:*"))  # as AUTH_STATE_CACHE_SECONDS after the buyer's last request
    with db_commands:
        body = market.browse(buyer, perPage=25)
    assert db_commands.commands == ["aggregate"] * 3
    first = db_commands.sent[0]["pipeline"]
    assert {stage["$unionWith"]["coll"] for stage in first if "$unionWith" in stage} >= {Lead._meta["collection"]}
    assert body["total"] == 32 and hidden["id"] not in ids(body)
    assert redis.keys("pc:auth:kept:*")  # the user and partner read with them are kept as ever
    assert client.get("/v1/auth/me", headers=buyer.headers).get_json()["partner"]["id"] == buyer.partner_id


def test_the_owned_emails_go_along_only_when_the_leads_version_was_read_before_them(
        app, market, seller, buyer, actors, client, db_commands, monkeypatch):
    """A session check that did not read the leads' version (the browse route has it read, so only a
    Redis that failed there, or a route that forgot, would do this): e-mails read along would then be
    filed under a version read after them, which a write in between would not have ended. So they
    are read on their own, after it."""
    from pc_app import collection_versions
    from pc_app.core.models import Lead
    from pc_app.redis_client import get_redis

    app.config["LIST_PAGE_CACHE_SECONDS"] = 0
    hidden = market.listed(seller, email="owned@example.com")
    _four_scores_listed_and_buyer_ready(market, seller, buyer, actors, client)
    redis = get_redis(app)
    redis.delete(*redis.keys("pc:auth:kept:*"))
    # Nothing kept under the leads' versions yet, and they are not read with the session.
    monkeypatch.setattr(collection_versions, "_watched", {})
    monkeypatch.setattr(collection_versions, "_watched_owned", {})
    monkeypatch.setattr(collection_versions, "_watch_keys", lambda *args, **kwargs: None)
    with db_commands:
        body = market.browse(buyer, perPage=25)
    read = [(command["aggregate"], [stage["$unionWith"]["coll"] for stage in command["pipeline"] if "$unionWith" in stage])
            for command in db_commands.sent]
    assert read[0] == ("users", ["partners"]) and read[1] == (Lead._meta["collection"], [])
    assert body["total"] == 32 and hidden["id"] not in ids(body)


def test_a_worker_that_has_kept_nothing_yet_still_reads_the_owned_emails_along(
        app, market, seller, buyer, actors, client, db_commands, monkeypatch):
    """The browse route has the leads' version read with the session check from a worker's first request."""
    from pc_app import collection_versions
    from pc_app.core.models import Lead
    from pc_app.redis_client import get_redis

    app.config["LIST_PAGE_CACHE_SECONDS"] = 0
    _four_scores_listed_and_buyer_ready(market, seller, buyer, actors, client)
    redis = get_redis(app)
    redis.delete(*redis.keys("pc:auth:kept:*"))
    monkeypatch.setattr(collection_versions, "_watched", {})  # as in a worker that has just started
    monkeypatch.setattr(collection_versions, "_watched_owned", {})
    with db_commands:
        market.browse(buyer, perPage=25)
    first = db_commands.sent[0]
    assert first["aggregate"] == "users" and db_commands.commands == ["aggregate"] * 3
    assert [stage["$unionWith"]["coll"] for stage in first["pipeline"] if "$unionWith" in stage] == [
        "partners", Lead._meta["collection"]]


@pytest.mark.parametrize("auth_kept", [False, True])
def test_a_buyer_with_many_leads_gets_their_emails_in_one_batch(app, market, seller, buyer, client, db_commands,
                                                                auth_kept):
    """More e-mails than a cursor's default first batch (101) come back in the command's first batch:
    no ``getMore`` round trip, read along with the user and partner or on their own."""
    from pc_app.redis_client import get_redis

    listing = market.listed(seller, email="owned-150@example.com")
    for i in range(151):
        market.lead(buyer, email=f"owned-{i}@example.com")
    redis = get_redis(app)
    if auth_kept:
        assert client.get("/v1/auth/me", headers=buyer.headers).status_code == 200  # keeps the user and partner
    else:
        redis.delete(*redis.keys("pc:auth:kept:*"))
    with db_commands:
        body = market.browse(buyer, sort="newest")
    assert db_commands.sent[0]["aggregate"] == ("leads" if auth_kept else "users")
    # the e-mails (with the user and partner, or alone), then the page: one listing, so its own count
    assert db_commands.commands == ["aggregate", "aggregate"]
    assert listing["id"] not in ids(body)


def test_a_buyer_who_owns_no_lead_reads_nothing_more_on_a_first_visit(app, market, seller, actors, db_commands):
    """The e-mails read along are none at all: browse takes that as read, not as missing."""
    from pc_app.core.models import Lead
    from pc_app.redis_client import get_redis
    from plugins.marketplace.models import Listing

    from .conftest import FULL_ICP

    app.config["LIST_PAGE_CACHE_SECONDS"] = 0
    market.listed(seller)
    newcomer = actors.partner_owner(icp=FULL_ICP)
    market.browse(actors.partner_owner(icp=FULL_ICP))  # the listed titles, read once per titles version
    market.lead(seller)  # a write to the leads: the owned e-mails are read again
    redis = get_redis(app)
    redis.delete(*redis.keys("pc:auth:kept:*"))
    with db_commands:
        body = market.browse(newcomer)
    assert body["total"] == 1
    read = [(command["aggregate"], [stage["$unionWith"]["coll"] for stage in command["pipeline"] if "$unionWith" in stage])
            for command in db_commands.sent]
    assert read[0] == ("users", ["partners", Lead._meta["collection"]])
    assert all(name == Listing._meta["collection"] for name, _unions in read[1:])  # the e-mails were not read again


@pytest.mark.parametrize("count_cap, trips", [(1000, 3), (10, 4)])
def test_a_first_visit_reads_later_patterns_whole_when_the_buyers_total_is_known_small(
        app, market, seller, buyer, actors, client, db_commands, count_cap, trips):
    """A later group holds more than the page could use, so count_ahead counts it only that far and its
    size stays unknown. When the buyer's whole total is counted exactly (at most LIST_COUNT_CAP), every
    pattern is read whole with the others, in the same one command: no count and read of its own.
    Past the cap the total tells nothing of the size: that pattern is counted first, then read with
    the page's other group in one command."""
    from .conftest import FULL_ICP

    app.config.update(LIST_PAGE_CACHE_SECONDS=0, LIST_COUNT_CAP=count_cap)  # what browse reads, not the kept answer
    kinds = {100: dict(industry="saas", company_size="51-200", country="US", job_title="VP Sales"),
             60: dict(industry="saas", company_size="51-200", country="GB", job_title="CTO"),
             40: dict(industry="saas", company_size="1-10", country="DE", job_title="CTO"),
             0: dict(industry="retail", company_size="1-10", country="DE", job_title="CTO")}
    listed = {score: [market.listed(seller, email=f"s{score}-{i}@example.com", **kinds[score])["id"]
                      for i in range(count)] for score, count in ((100, 2), (60, 8), (40, 4), (0, 4))}
    market.browse(actors.partner_owner(icp=FULL_ICP), perPage=5)  # the listed titles, read once for every buyer
    market.lead(buyer, email="owned@example.com")  # the buyer's own e-mails are read again
    assert client.get("/v1/auth/me", headers=buyer.headers).status_code == 200
    with db_commands:
        body = market.browse(buyer, perPage=5)
    assert db_commands.commands == ["aggregate"] * trips  # e-mails, counts with the total, the heads
    # Best score first, newest first within a score.
    assert ids(body) == listed[100][::-1] + listed[60][::-1][:3]
    assert body["total"] == min(18, count_cap) and body["totalCapped"] == (count_cap < 18)
    with db_commands:
        second = market.browse(buyer, perPage=5, page=2)
    assert ids(second) == listed[60][::-1][3:8] and db_commands.commands == []  # from what the first visit read


def test_a_first_visit_counts_the_pattern_its_heads_read_stops_at_in_that_same_command(
        app, market, seller, buyer, actors, client, db_commands):
    """The heads read ahead reach a later pattern that the counts ahead sized only as far as the page could
    use it, so how to read it is not known: it is counted in the heads' own command, and the page then
    reads it without a count of its own. Four round trips (the e-mails, the counts, the heads with that
    count, its head) where it took five."""
    from .conftest import FULL_ICP

    app.config.update(LIST_PAGE_CACHE_SECONDS=0, LIST_COUNT_CAP=10)  # a total past the cap tells nothing of sizes
    kinds = {"all": (1, dict(industry="saas", company_size="51-200", country="US", job_title="VP Sales")),
             "no title": (1, dict(industry="saas", company_size="51-200", country="US", job_title="CTO",
                                  seniority="c_level")),
             "no country": (1, dict(industry="saas", company_size="51-200", country="GB", job_title="VP Sales")),
             "industry and size": (8, dict(industry="saas", company_size="51-200", country="GB", job_title="CTO",
                                           seniority="c_level"))}
    listed = {kind: [market.listed(seller, email=f"{kind.replace(' ', '-')}-{i}@example.com", **fields)["id"]
                     for i in range(count)] for kind, (count, fields) in kinds.items()}
    market.browse(actors.partner_owner(icp=FULL_ICP), perPage=5)  # the listed titles, read once for every buyer
    market.lead(buyer, email="owned@example.com")  # the buyer's own e-mails are read again
    assert client.get("/v1/auth/me", headers=buyer.headers).status_code == 200
    with db_commands:
        body = market.browse(buyer, perPage=5)
    assert db_commands.commands == ["aggregate"] * 4
    assert ids(body) == (listed["all"] + listed["no country"] + listed["no title"]
                         + listed["industry and size"][::-1][:2])  # by score, newest first within a score
    assert [card["icpScore"] for card in body["items"]] == [100, 80, 80, 60, 60]
    with db_commands:
        second = market.browse(buyer, perPage=5, page=2)
    assert ids(second) == listed["industry and size"][::-1][2:7] and db_commands.commands == []  # kept heads


def test_a_repeated_browse_is_answered_from_its_kept_answer_until_what_it_shows_changes(
        app, market, seller, buyer, actors, db_commands, monkeypatch):
    """The whole JSON answer is kept per buyer and arguments; a listing, a lead the buyer owns or the ICP ends it."""
    from plugins.marketplace import browse

    monkeypatch.setattr(browse, "KEPT_ROWS", 0)  # nothing kept of the patterns: only the answer can spare the reads
    saas = market.listed(seller, industry="saas", price=5000)
    retail = market.listed(seller, industry="retail", price=6000, email="shared@example.com")
    first = market.browse(buyer, perPage=5)
    with db_commands:
        again = market.browse(buyer, perPage=5)
    assert db_commands.commands == [] and again == first
    assert [(c["id"], c["icpScore"]) for c in first["items"]] == [(saas["id"], 100), (retail["id"], 65)]
    # Another buyer's same arguments are another answer (their own score).
    other = actors.partner_owner(name="Retail Buyer", icp={"industries": ["retail"]})
    assert [c["id"] for c in market.browse(other, perPage=5)["items"]] == [retail["id"], saas["id"]]
    # A repricing changes only listings (the narrower listings version ends the answer) ...
    lead_id = retail["leadId"]
    assert seller_reprices(market, seller, lead_id, 7000).status_code == 200
    assert [c["price"] for c in market.browse(buyer, perPage=5)["items"]] == [5000, 7000]
    # ... a lead the buyer comes to own hides its listing (the leads' write version) ...
    market.lead(buyer, email="shared@example.com")
    assert [c["id"] for c in market.browse(buyer, perPage=5)["items"]] == [saas["id"]]
    # ... and a new ICP scores again (it is part of the key).
    patched = market.client.patch(f"/v1/partners/{buyer.partner_id}", json={"icp": {"industries": ["retail"]}},
                                  headers=buyer.headers)
    assert patched.status_code == 200, patched.get_json()
    assert [c["icpScore"] for c in market.browse(buyer, perPage=5)["items"]] == [0]


def seller_reprices(market, seller, lead_id, price):
    return market.client.patch(f"/v1/marketplace/leads/{lead_id}/list", json={"price": price}, headers=seller.headers)


def test_a_deep_first_visit_sizes_later_groups_in_the_commands_it_sends_anyway(
        app, market, seller, buyer, actors, client, db_commands, monkeypatch):
    """Past what count_ahead's one command could hold, each group sized on the way to a deep page
    takes the next groups' counts along in its own command, instead of one command per group."""
    from plugins.marketplace import browse

    # What browse reads, not the kept answer; and a total past the count cap, as in a large marketplace
    # (a total known to be small lets the first visit read every pattern whole instead).
    app.config.update(LIST_PAGE_CACHE_SECONDS=0, LIST_COUNT_CAP=10)
    monkeypatch.setattr(browse, "MAX_UNION_PIPELINES", 6)  # count_ahead holds only the first few patterns
    _four_scores_listed_and_buyer_ready(market, seller, buyer, actors, client)
    with db_commands:
        body = market.browse(buyer, perPage=7, page=4)
    scores = [card["icpScore"] for card in body["items"]]
    assert scores == sorted(scores, reverse=True) and (body["total"], body["totalCapped"]) == (10, True)
    assert len(scores) == 7
    # 13 when each group counts only its own patterns, in its own command; 9 before the heads' read
    # ahead took along the counts of the group where it stopped.
    assert db_commands.commands == ["aggregate"] * 8


@pytest.mark.parametrize("sort, min_score", [("score", None), ("newest", 40)])
def test_a_first_visit_past_the_end_of_an_exact_total_reads_no_pattern(
        app, market, seller, buyer, actors, client, db_commands, sort, min_score):
    """Past the end of a total counted exactly there is nothing to size or read: the buyer's e-mails and the counts."""
    app.config["LIST_PAGE_CACHE_SECONDS"] = 0  # what browse reads, not the kept answer
    _four_scores_listed_and_buyer_ready(market, seller, buyer, actors, client)
    arguments = {"perPage": 5, "page": 10, "sort": sort} | ({"minScore": min_score} if min_score else {})
    with db_commands:
        body = market.browse(buyer, **arguments)
    assert db_commands.commands == ["aggregate"] * 2
    expected_total = market.browse(buyer, **(arguments | {"page": 1, "perPage": 100}))["total"]
    assert (body["items"], body["total"], body["totalCapped"]) == ([], expected_total, False)
    assert body["pages"] == (expected_total + 4) // 5 < 10


@pytest.mark.parametrize("sort", ["price", "-price", "newest"])
def test_a_score_filter_in_another_order_reads_every_pattern_in_one_command(
        app, market, seller, buyer, actors, client, db_commands, sort):
    """minScore with an order other than the score: the patterns' counts (made for the total) tell how to
    read each, so one command reads the first rows of all of them, merged here in the order asked."""
    app.config["LIST_PAGE_CACHE_SECONDS"] = 0  # what browse reads, not the kept answer
    _four_scores_listed_and_buyer_ready(market, seller, buyer, actors, client)
    with db_commands:
        body = market.browse(buyer, perPage=5, page=2, sort=sort, minScore=40)
    assert db_commands.commands == ["aggregate"] * 3  # the e-mails, the counts, one read of every pattern
    whole = market.browse(buyer, perPage=100, sort="newest")["items"]
    reached = [card for card in whole if card["icpScore"] >= 40]
    key = {"price": lambda c: (c["price"], c["id"]), "-price": lambda c: (-c["price"], [-ord(x) for x in c["id"]]),
           "newest": lambda c: 0}[sort]
    assert ids(body) == [card["id"] for card in sorted(reached, key=key)][5:10] and body["total"] == 24


@pytest.mark.parametrize("filters, read_whole_at_most, trips", [
    ({}, 1000, 3),  # the bare filter set, read whole in one command
    ({}, 31, 0),  # more listings than READ_WHOLE_AT_MOST: pattern by pattern
    ({"maxPrice": 10**6}, 1000, 0),  # a filter: the database would walk listings the total does not bound
])
def test_a_first_visit_whose_page_does_not_fit_one_command_reads_a_small_filter_set_whole(
        app, market, seller, buyer, actors, client, db_commands, monkeypatch, filters, read_whole_at_most, trips):
    """The buyer's total is known small but the heads the page needs take more than one command: the
    bare filter set is read whole in one, each row given its pattern in Python, and what it learnt
    serves the next page."""
    from plugins.marketplace import browse

    app.config["LIST_PAGE_CACHE_SECONDS"] = 0  # what browse reads, not the kept answer
    monkeypatch.setattr(browse, "MAX_UNION_PIPELINES", 6)  # a command holds only a few patterns' cells
    monkeypatch.setattr(browse, "READ_WHOLE_AT_MOST", read_whole_at_most)
    _four_scores_listed_and_buyer_ready(market, seller, buyer, actors, client)
    with db_commands:
        body = market.browse(buyer, perPage=7, page=4, **filters)
    whole_reads = [sent for sent in db_commands.sent if sent.get("aggregate") == "marketplace_listings"
                   and [list(stage) for stage in sent["pipeline"]] == [["$match"], ["$limit"], ["$project"]]
                   and sent["pipeline"][1]["$limit"] == read_whole_at_most + 1]
    if trips:
        assert db_commands.commands == ["aggregate"] * trips and len(whole_reads) == 1
    else:
        assert len(db_commands.commands) > 3 and whole_reads == []
    # Rows 21-27 of 8 listings per score, best first: the three oldest of the third score, then the
    # four newest of the last, as the whole list orders them.
    whole = market.browse(buyer, perPage=32, **filters)
    scores = [card["icpScore"] for card in whole["items"]]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == 4
    assert ids(body) == ids(whole)[21:28] and body["total"] == 32
    assert [card["icpScore"] for card in body["items"]] == [scores[21]] * 3 + [scores[31]] * 4
    # What the whole read learnt, every pattern exactly, serves the next page: nothing read.
    with db_commands:
        after = market.browse(buyer, perPage=7, page=3, **filters)
    assert ids(after) == ids(whole)[14:21]
    if trips:
        assert db_commands.commands == []


def test_a_page_past_the_kept_heads_sizes_its_group_as_far_as_its_read_must_know(
        app, market, seller, actors, db_commands, monkeypatch):
    """Page 4 lands in the third group (retail in the US), which the first visit counted only as far as
    page 1 could use it. Sizing that group for page 4 counts it as far as page 4's read needs to
    choose how to read it (``_small``), so the read follows at once: 2 round trips, not a count to
    the page end, a count to ``_small`` and then the read."""
    from plugins.marketplace import browse

    monkeypatch.setattr(browse, "KEPT_ROWS", 4)  # page 4 (rows 15-20) lies past the kept heads
    monkeypatch.setattr(browse, "SMALL_PATTERN", 5)
    app.config["LIST_PAGE_CACHE_SECONDS"] = 0  # what browse reads, not the kept answer
    # Groups by score: saas in the US (100), saas elsewhere (64, none listed), the US only (36), neither.
    buyer = actors.partner_owner(name="Saas Buyer", icp={"industries": ["saas"], "countries": ["US"]})
    saas = [market.listed(seller, industry="saas", country="US", email=f"saas{i}@example.com")["id"] for i in range(3)]
    rest = [market.listed(seller, industry="retail", country="US", email=f"retail{i}@example.com")["id"]
            for i in range(20)]
    assert ids(market.browse(buyer, perPage=5)) == saas[::-1] + rest[::-1][:2]  # the first visit
    with db_commands:
        body = market.browse(buyer, perPage=5, page=4)
    assert db_commands.commands == ["aggregate"] * 2  # the group's counts, then the page
    assert ids(body) == rest[::-1][12:17] and body["total"] == 23


def test_a_deep_first_visit_counts_the_best_group_as_far_as_its_page_read_must_know(
        app, market, seller, actors, db_commands, monkeypatch):
    """A first visit straight to page 4, which the best group holds: counting ahead counts that group as
    far as page 4's read must know, so the page is read next: 2 round trips, not 3."""
    from plugins.marketplace import browse

    monkeypatch.setattr(browse, "KEPT_ROWS", 4)
    monkeypatch.setattr(browse, "SMALL_PATTERN", 5)
    app.config["LIST_PAGE_CACHE_SECONDS"] = 0
    buyer = actors.partner_owner(name="Saas Buyer", icp={"industries": ["saas"], "countries": ["US"]})
    best = [market.listed(seller, industry="saas", country="US", email=f"saas{i}@example.com")["id"] for i in range(20)]
    market.browse(buyer, sort="newest")  # the buyer's e-mails and sign-in state: read once, kept
    with db_commands:
        body = market.browse(buyer, perPage=5, page=4)
    assert db_commands.commands == ["aggregate"] * 2  # every count with the total, then the page
    assert ids(body) == best[::-1][15:20] and body["total"] == 20


def test_a_recount_alone_does_not_count_the_later_groups_with_it(app, market, seller, actors, db_commands,
                                                                 monkeypatch):
    """Page 4 lands in the second group, which the first visit counted only as far as page 1 needed, while
    the third group did not fit the first visit's one command. Sizing the second group for page 4 is a
    recount alone: the group that holds the page, so the third group is not counted with it."""
    from plugins.marketplace import browse

    monkeypatch.setattr(browse, "KEPT_ROWS", 4)
    monkeypatch.setattr(browse, "SMALL_PATTERN", 5)
    monkeypatch.setattr(browse, "MAX_UNION_PIPELINES", 3)  # the first visit counts the total and two groups
    app.config["LIST_PAGE_CACHE_SECONDS"] = 0
    buyer = actors.partner_owner(name="Saas Buyer", icp={"industries": ["saas"], "countries": ["US"]})
    us = [market.listed(seller, industry="saas", country="US", email=f"us{i}@example.com")["id"] for i in range(3)]
    abroad = [market.listed(seller, industry="saas", country="DE", email=f"de{i}@example.com")["id"] for i in range(20)]
    market.listed(seller, industry="retail", country="US", email="retail@example.com")
    assert ids(market.browse(buyer, perPage=5)) == us[::-1] + abroad[::-1][:2]
    with db_commands:
        body = market.browse(buyer, perPage=5, page=4)
    assert ids(body) == abroad[::-1][12:17] and body["total"] == 24
    count, _read = db_commands.sent
    assert not any("$unionWith" in stage for stage in count["pipeline"])  # the second group's one cell alone
