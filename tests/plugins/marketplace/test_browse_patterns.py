"""Browse by score pattern gives exactly what scoring every listing gave (the previous definition)."""
import datetime as dt
import itertools
import random
from types import SimpleNamespace

import pytest

from plugins.marketplace import scoring
from plugins.marketplace.browse import fit_terms

INDUSTRIES = ["saas", "fintech", "retail", None]
SIZES = ["1-10", "51-200", "201-500", None]
COUNTRIES = ["US", "GB", "DE", None]
TITLES = ["VP of Sales", "Salesforce Admin", "CTO", "Head of Marketing", None]
SENIORITIES = ["vp", "c_level", "manager", None]


def _reference(app, buyer_id, icp, args):
    """The previous definition: score every matching listing in the pipeline, then sort (every page)."""
    from pc_app.core.models import Lead
    from plugins.marketplace.models import Listing

    with app.app_context():
        match = {"status": "listed", "seller": {"$ne": buyer_id}}
        owned = sorted({e.lower() for e in Lead.objects(partner=buyer_id, is_deleted=False).distinct("email") if e})
        if owned:
            match["email"] = {"$nin": owned}
        for arg, field in (("industry", "industry"), ("country", "country")):
            if args.get(arg):
                match[field] = {"$in": args[arg]}
        if args.get("maxPrice") is not None:
            match["price"] = {"$lte": args["maxPrice"]}
        rows = list(Listing._get_collection().aggregate([{"$match": match}, scoring.score_stage(icp)]))
    for row in rows:
        score, _ = scoring.score_listing(icp, row)
        assert row["score"] == score  # the stage and the Python definition agree
    if args.get("minScore") is not None:
        rows = [r for r in rows if r["score"] is not None and r["score"] >= args["minScore"]]
    sort = args.get("sort", "score")
    key = {"score": lambda r: (-(r["score"] or 0), -r["created_at"].timestamp(), _neg(r["_id"])),
           "newest": lambda r: (-r["created_at"].timestamp(), _neg(r["_id"])),
           "price": lambda r: (r["price"], r["_id"]),
           "-price": lambda r: (-r["price"], _neg(r["_id"]))}[sort]
    return [str(r["_id"]) for r in sorted(rows, key=key)]


def _neg(text):
    return tuple(-ord(c) for c in text)


@pytest.fixture
def mixed(app, market, seller, buyer):
    """60 listings over every combination of attributes, some sharing a listing second, 2 owned by the buyer."""
    from pc_app.db import new_id
    from plugins.marketplace.models import Listing

    rng = random.Random(7)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    docs = []
    for i in range(60):
        title = rng.choice(TITLES)
        seniority = rng.choice(SENIORITIES)
        key = title.lower() if title else None
        created = start + dt.timedelta(seconds=i // 3)  # ties on created_at: _id decides
        lead = new_id()
        docs.append({"_id": new_id(), "lead": lead, "open_key": lead, "seller": seller.partner_id, "status": "listed",
                     "price": rng.choice([500, 900, 1500]), "currency": "usd", "industry": rng.choice(INDUSTRIES),
                     "company_size": rng.choice(SIZES), "country": rng.choice(COUNTRIES), "job_title": title,
                     "job_title_key": key, "seniority": seniority, "fit_terms": fit_terms(seniority, key),
                     "masked_email": "x***@example.com", "email": f"m{i}@example.com", "view_count": 0,
                     "unique_viewers": [], "created_at": created, "updated_at": created, "listed_at": created,
                     "lead_created_at": created})
    with app.app_context():
        Listing._get_collection().insert_many(docs)
    market.lead(buyer, email="M3@example.com")
    market.lead(buyer, email="m40@example.com")
    return docs


ICPS = [
    {"industries": ["saas", "fintech"], "company_sizes": ["51-200"], "countries": ["us"],
     "job_titles": ["sales"], "seniorities": ["vp"]},  # four criteria, a substring keyword ("salesforce")
    {"countries": ["US", "GB"], "job_titles": ["of sa"]},  # equal weights: country and job title tie at 20
    {"seniorities": ["manager"]},
    {"job_titles": ["nothing-matches"]},  # a criterion no listing can meet
    {},
]


@pytest.mark.parametrize("icp", ICPS)
# (kept rows, small pattern, cells, pipelines per command): patterns read from the database, their
# cells always read sorted / kept with the counts, cells read whole and unsorted / within a budget of
# 2 cells (the rest stays $in) / first visits gathering counts and reads in commands of at most 4 pipelines.
@pytest.mark.parametrize("small_rows, small_pattern, max_cells, max_pipelines",
                         [(0, 0, 24, 32), (100, 500, 24, 32), (0, 500, 2, 32), (100, 500, 2, 4)])
def test_every_page_matches_the_scored_definition(app, client, actors, mixed, monkeypatch, icp, small_rows,
                                                  small_pattern, max_cells, max_pipelines):
    from pc_app.core.models import Partner
    from plugins.marketplace import browse

    monkeypatch.setattr(browse, "KEPT_ROWS", small_rows)
    monkeypatch.setattr(browse, "SMALL_PATTERN", small_pattern)
    monkeypatch.setattr(browse, "MAX_CELLS", max_cells)
    monkeypatch.setattr(browse, "MAX_UNION_PIPELINES", max_pipelines)
    buyer = actors.partner_owner(name="Pattern Buyer", icp=icp)
    buyer_doc_icp = None
    with app.app_context():
        buyer_doc_icp = Partner.objects(id=buyer.partner_id).first().icp
    from pc_app.core.leads.services import create_lead
    with app.app_context():
        create_lead(buyer.partner_id, {"first_name": "Own", "email": "m7@example.com"}, "system")
    variants = [{"sort": s} for s in ("score", "newest", "price", "-price")] + \
               [{"sort": "score", "minScore": m} for m in (0, 40, 60, 100)] + [{"sort": "price", "minScore": 45}] + \
               [{"industry": ["saas", "retail"]}, {"country": ["US"], "minScore": 40}, {"maxPrice": 900},
                {"industry": ["retail"], "country": ["GB", "DE"], "sort": "-price", "minScore": 20}]
    # Pages in turn (a first visit, then what it learnt), and, with 7 per page, each page of a scored
    # order or filter as a first visit in its listings version (counted and read ahead, one command each).
    scored = [v for v in variants if v.get("sort", "score") == "score" or "minScore" in v]
    # Nothing is written between pages, so each variant's whole order is computed once.
    references = {repr(variant): _reference(app, buyer.partner_id, buyer_doc_icp, variant) for variant in variants}
    for variant, per_page, first_visits in [*itertools.product(variants, (7, 25), [False]),
                                            *itertools.product(scored, (7,), [True])]:
        page = 1
        while True:
            args = {**variant, "page": page, "perPage": per_page}
            if first_visits:
                with app.app_context():
                    browse.listings_changed()
            ordered = references[repr(variant)]
            expected, total = ordered[(page - 1) * per_page:page * per_page], len(ordered)
            response = client.get("/v1/marketplace/leads", query_string=args, headers=buyer.headers)
            assert response.status_code == 200, response.get_json()
            body = response.get_json()
            assert [c["id"] for c in body["items"]] == expected, (icp, args)
            assert body["total"] == total and body["totalCapped"] is False
            if not expected:
                break
            page += 1


@pytest.mark.parametrize("icp", [ICPS[0], ICPS[1], ICPS[4]])
@pytest.mark.parametrize("kept_rows", [10, 100])   # heads a leave leaves short (dropped: a page of 7 reads them), or whole
def test_every_page_still_matches_the_definition_after_listings_change(app, client, actors, market, seller, mixed,
                                                                        monkeypatch, icp, kept_rows):
    """Listings made and edited (with titles browse knows), reserved, delisted, relisted and repriced are
    moved in what was learnt (no new listings version), page for page; a new title starts a new version."""
    from pc_app.core.models import Partner
    from pc_app.redis_client import get_redis
    from pc_app.toolkit import SYSTEM
    from plugins.marketplace import browse, services

    monkeypatch.setattr(browse, "KEPT_ROWS", kept_rows)
    moved = []
    move = browse.PatternKnowledge._move
    monkeypatch.setattr(browse.PatternKnowledge, "_move", lambda self, row, into: (moved.append(row["_id"]),
                                                                                   move(self, row, into)))
    buyer, reserver = actors.partner_owner(name="Leaves Buyer", icp=icp), actors.partner_owner(name="Reserver")
    with app.app_context():
        buyer_icp = Partner.objects(id=buyer.partner_id).first().icp
    variants = [{"sort": "score"}, {"sort": "newest"}, {"sort": "price"}, {"sort": "score", "minScore": 40},
                {"industry": ["saas", "retail"]}, {"maxPrice": 900, "minScore": 20}]

    def walk():
        for variant in variants:
            ordered = _reference(app, buyer.partner_id, buyer_icp, variant)
            for page in itertools.count(1):
                body = client.get("/v1/marketplace/leads", query_string={**variant, "page": page, "perPage": 7},
                                  headers=buyer.headers).get_json()
                expected = ordered[(page - 1) * 7:page * 7]
                assert ([c["id"] for c in body["items"]], body["total"]) == (expected, len(ordered)), (variant, page)
                if not expected:
                    break

    walk()
    with app.app_context():
        version = get_redis().get(browse.VERSION_KEY)
    rng = random.Random(kept_rows)
    listed, reserved = list(mixed), []
    seller_partner = SimpleNamespace(id=mixed[0]["seller"])
    known_titles = [title for title in TITLES if title]
    for _round in range(3):
        rng.shuffle(listed)
        with app.app_context():
            for doc in listed[:2]:
                assert services.mark_reserved(doc["_id"], reserver.partner_id) is not None
            assert services.delist_for_lead(listed[2]["lead"], "test") is not None
            if reserved:
                back = reserved.pop()
                assert services.relist(back["_id"], reserver.partner_id) is not None
                listed.append(back)
            reserved += listed[:2]
            for doc in listed[3:5]:
                services.reprice_listing(seller_partner, SimpleNamespace(id=doc["lead"]),
                                         rng.choice([500, 700, 900, 1500]), SYSTEM)
        made = market.listed(seller, price=rng.choice([500, 900, 1500]), job_title=rng.choice(known_titles),
                             seniority=rng.choice(SENIORITIES), industry=rng.choice(INDUSTRIES),
                             country=rng.choice(COUNTRIES), company_size=rng.choice(SIZES))
        edited = client.patch(f"/v1/leads/{made['leadId']}", json={
            "jobTitle": rng.choice(known_titles), "industry": rng.choice(["saas", "fintech", "retail"]),
            "country": rng.choice(["US", "GB", "DE"])}, headers=seller.headers)
        assert edited.status_code == 200, edited.get_json()
        listed = listed[3:]
        walk()
    with app.app_context():
        assert get_redis().get(browse.VERSION_KEY) == version
    assert moved   # what was learnt was kept, and the rows that changed were moved in it
    market.listed(seller, job_title="Chief Sales Officer", seniority="c_level", industry="saas", country="US")
    with app.app_context():
        assert get_redis().get(browse.VERSION_KEY) != version   # a title browse did not know: a new version
    walk()


def test_hook_pc_db_init(app, market, seller, buyer):
    """db-init gives listings stored before fit_terms existed their terms, once (idempotent)."""
    from pc_app.cli import init_database
    from plugins.marketplace.models import Listing

    listing = market.listed(seller, job_title="Senior Salesperson", seniority="manager", industry="retail")
    with app.app_context():
        collection = Listing._get_collection()
        collection.update_one({"_id": listing["id"]}, {"$unset": {"fit_terms": ""}})
    init_database(app)
    with app.app_context():
        stored = collection.find_one({"_id": listing["id"]})
        assert stored["fit_terms"] == ["s:manager", "t:senior salesperson"]
        collection.update_one({"_id": listing["id"]}, {"$set": {"fit_terms": ["s:manager", "t:kept"]}})
    init_database(app)  # idempotent: a listing that has them is left alone
    with app.app_context():
        assert collection.find_one({"_id": listing["id"]})["fit_terms"] == ["s:manager", "t:kept"]


def test_the_job_title_keyword_matches_inside_words_as_the_score_defines(market, seller, buyer):
    # FULL_ICP's keyword "sales" is a substring of "salesperson": the criterion matches, as score_listing says.
    inside = market.listed(seller, job_title="Senior Salesperson", seniority="manager", industry="retail")
    plain = market.listed(seller, job_title="Engineer", seniority="manager", industry="retail")
    page = market.browse(buyer)
    assert [c["id"] for c in page["items"]] == [inside["id"], plain["id"]]
    assert "jobTitleOrSeniority" in page["items"][0]["matchedCriteria"]


def test_rows_read_whole_are_ordered_here_as_the_database_orders_them():
    """Null first ascending and last descending, as in MongoDB; later fields break ties, in their own direction."""
    from plugins.marketplace.browse import _ordered

    rows = [{"_id": "b", "price": 5}, {"_id": "a", "price": None}, {"_id": "c", "price": 5}, {"_id": "d", "price": 1},
            {"_id": "e"}]
    assert [r["_id"] for r in _ordered(rows, {"price": 1, "_id": 1})] == ["a", "e", "d", "b", "c"]
    assert [r["_id"] for r in _ordered(rows, {"price": -1, "_id": -1})] == ["c", "b", "d", "e", "a"]
    assert [r["_id"] for r in _ordered(rows, {"price": 1, "_id": -1})] == ["e", "a", "d", "c", "b"]


def test_a_pattern_becomes_equality_cells_within_the_budget(monkeypatch):
    from plugins.marketplace import browse

    pattern = {"status": "listed", "industry": {"$in": ["saas", "retail"]}, "company_size": {"$in": ["1-10"]},
               "country": {"$in": ["US", "GB"], "$nin": ["GB"]}, "fit_terms": {"$in": ["s:vp"]}}
    assert browse.cells(pattern) == [  # the array field stays $in; an excluded value makes no cell
        {**pattern, "industry": "saas", "company_size": "1-10", "country": "US"},
        {**pattern, "industry": "retail", "company_size": "1-10", "country": "US"}]
    assert browse.cells({**pattern, "company_size": {"$in": ["1-10"], "$nin": ["1-10"]}}) == []  # matches nothing
    monkeypatch.setattr(browse, "MAX_CELLS", 1)  # past the budget, the fields after it stay $in
    assert browse.cells(pattern) == [pattern]
    either = {"$and": [{"status": "listed"}, {"industry": {"$in": ["saas", "retail"]}}]}
    assert browse.cells(either) == [either]  # a text search's $and is read as it is


def test_cells_stay_within_the_command_size_a_buyer_with_many_leads_would_pass(monkeypatch):
    import bson

    from plugins.marketplace import browse

    owned = [f"lead{i}@example.com" for i in range(2000)]
    pattern = {"status": "listed", "email": {"$nin": owned}, "industry": {"$in": ["saas", "retail", "fintech"]},
               "country": {"$in": ["US", "GB"]}}
    assert len(browse.cells(pattern)) == 6
    monkeypatch.setattr(browse, "MAX_UNION_BYTES", 3 * len(bson.encode(pattern)))
    assert len(browse.cells(pattern)) == 3  # the industries only: the countries stay $in
    monkeypatch.setattr(browse, "MAX_UNION_BYTES", 10)
    assert browse.cells(pattern) == [pattern]  # one match, as it was


def test_kept_rows_are_decoded_only_when_a_page_reads_them_and_saved_as_they_came():
    """What a rebuild from the knowledge costs follows the heads its page merges, not all that is kept."""
    import bson

    from plugins.marketplace.browse import KeptRows

    codec = bson.CodecOptions(tz_aware=True, tzinfo=dt.timezone.utc)
    when = dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.timezone.utc)
    head = bson.encode({"rows": [{"_id": "a", "created_at": when, "price": 5000}]}, codec_options=codec)
    unread = b"not BSON: decoding it would fail"
    kept = KeptRows(codec, {"0.0": head, "0.1": unread})
    assert "0.1" in kept and "1.0" not in kept and kept.get("1.0") is None
    assert kept["0.0"] == [{"_id": "a", "created_at": when, "price": 5000}]  # the other entry never decoded
    with pytest.raises(KeyError):
        kept["1.0"]
    kept["1.0"] = [{"_id": "b", "created_at": when}]
    stored = kept.stored()
    assert stored["0.0"] is head and stored["0.1"] is unread  # read or not, saved as the bytes they came as
    assert KeptRows(codec, stored)["1.0"] == [{"_id": "b", "created_at": when}]
    kept["0.0"] = []  # replaced: encoded again
    assert KeptRows(codec, kept.stored())["0.0"] == []
