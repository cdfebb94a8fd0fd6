"""Browse: one page of listed leads for a buyer, ordered by ICP score without scoring the marketplace.

The score depends only on WHICH of the buyer's (at most four) criteria a listing matches, so
there are at most 16 match patterns, each with a known score. Every pattern is a plain
``$match`` (``$in`` where the criterion matches, ``$nin`` where it does not), and the order by
score (score, then newest, then ``_id``) is the patterns in descending score, each read with
``$match``/``$sort``/``$skip``/``$limit`` — the only pipeline shape our database answers from
the index, whatever the size of the collection.

The job-title-or-seniority criterion is an OR of two fields (the seniority is one of the
buyer's, or the lower-cased title contains one of the buyer's keywords as a substring). An OR
is not a plain match, so each listing stores ``fit_terms`` = ``["s:<seniority>",
"t:<title key>"]`` (indexed), and the criterion becomes ``fit_terms $in [...]``: the seniority
terms, plus one term per distinct listed title that contains a keyword (the substring test is
evaluated in Python over the distinct titles, so the score stays exactly as defined).

Patterns of equal score (only country vs job title, both weighing 20) are merged newest
first in Python. Leads the buyer already owns are left out in the same plain match
(``email $nin``, see ``owned_emails``), so page boundaries are those of the full definition.
Per-pattern counts are capped and cached in Redis per listings version (``listings_changed``).
"""
from __future__ import annotations

import hashlib
import itertools
import json

import bson

from redis.exceptions import RedisError

from pc_app.pages import count_cap
from pc_app.toolkit import Lead, Partner, get_redis, text_contains

from . import scoring
from .models import Listing

_HIDDEN_FROM_BROWSE = {"email": 0, "unique_viewers": 0, "fit_terms": 0}

_SORTS = {
    "newest": {"created_at": -1, "_id": -1},
    "price": {"price": 1, "_id": 1},
    "-price": {"price": -1, "_id": -1},
}
_NEWEST = _SORTS["newest"]
_FIELD = {"industry": "industry", "companySize": "company_size", "country": "country",
          "jobTitleOrSeniority": "fit_terms"}


def fit_terms(seniority: str | None, job_title_key: str | None) -> list[str]:
    """What the job-title-or-seniority criterion matches a listing on (stored, indexed)."""
    return ([f"s:{seniority}"] if seniority else []) + ([f"t:{job_title_key}"] if job_title_key else [])


def backfill_fit_terms() -> int:
    """Give ``fit_terms`` to listings stored before it existed (idempotent); returns how many changed."""
    changed = 0
    collection = Listing._get_collection()
    for row in collection.find({"fit_terms": {"$exists": False}}, {"seniority": 1, "job_title_key": 1}):
        collection.update_one({"_id": row["_id"], "fit_terms": {"$exists": False}},
                              {"$set": {"fit_terms": fit_terms(row.get("seniority"), row.get("job_title_key"))}})
        changed += 1
    return changed


def _criterion_values(criterion: scoring.Criterion) -> list[str]:
    """The stored values that meet a criterion (for the job title: the terms of ``fit_terms``)."""
    if criterion.name != "jobTitleOrSeniority":
        return list(criterion.values)
    terms = [f"s:{s}" for s in criterion.values]
    if criterion.keywords:
        # Distinct titles, not listings: the substring test runs over each different title once.
        titles = Listing._get_collection().distinct("job_title_key")
        terms += [f"t:{t}" for t in titles if t and any(k in t for k in criterion.keywords)]
    return terms


def score_groups(icp) -> list[tuple[int, list[dict]]]:
    """``(score, [pattern $match, ...])`` best first: the 2**k patterns of a buyer's k criteria.

    A criterion whose accepted values are empty (no listed title contains a keyword and no
    seniority was given) can never match, so only its not-matched half is kept.
    """
    criteria = scoring.criteria_for(icp)
    if not criteria:
        return []
    values = [(c, _criterion_values(c)) for c in criteria]
    total = sum(c.weight for c in criteria)
    groups: dict[int, list[dict]] = {}
    for matched in itertools.product((True, False), repeat=len(criteria)):
        if any(hit and not accepted for hit, (_c, accepted) in zip(matched, values)):
            continue
        match = {_FIELD[c.name]: {"$in" if hit else "$nin": accepted}
                 for hit, (c, accepted) in zip(matched, values) if accepted or hit}
        weight = sum(c.weight for hit, (c, _v) in zip(matched, values) if hit)
        groups.setdefault(scoring._rounded(weight, total), []).append(match)
    return sorted(groups.items(), key=lambda item: -item[0])


def owned_emails(partner: Partner) -> list[str]:
    """The e-mails of the buyer's live leads (index on the lead's partner: cost follows the buyer's leads).

    They go into every page query as ``email $nin [...]``: still a plain match, checked on the
    rows the page query reads anyway, so hiding owned leads never scans the marketplace and
    page boundaries stay those of the full definition.
    """
    return sorted({e.lower() for e in Lead.objects(partner=partner.id, is_deleted=False).distinct("email") if e})


def base_match(partner: Partner, args: dict) -> dict:
    """The buyer's filters as one plain ``$match`` (no computed field)."""
    match: dict = {"status": "listed", "seller": {"$ne": partner.id}}
    owned = owned_emails(partner)
    if owned:
        match["email"] = {"$nin": owned}
    for arg, field in (("industry", "industry"), ("companySize", "company_size"), ("country", "country"),
                       ("seniority", "seniority")):
        if args.get(arg):
            match[field] = {"$in": list(args[arg])}
    price: dict = {}
    if args.get("minPrice") is not None:
        price["$gte"] = args["minPrice"]
    if args.get("maxPrice") is not None:
        price["$lte"] = args["maxPrice"]
    if price:
        match["price"] = price
    if args.get("q"):
        match = {"$and": [match, text_contains(("company", "job_title", "first_name"), args["q"])]}
    return match


def _and(base: dict, pattern: dict) -> dict:
    if "$and" in base:
        return {"$and": [*base["$and"], pattern]}
    clash = set(base) & set(pattern)
    return {"$and": [base, pattern]} if clash else {**base, **pattern}


def _read(match: dict, sort: dict, skip: int, limit: int) -> list[dict]:
    if limit <= 0:
        return []
    return list(Listing._get_collection().aggregate(
        [{"$match": match}, {"$sort": sort}, {"$skip": skip}, {"$limit": limit}, {"$project": _HIDDEN_FROM_BROWSE}]))


def _count(match: dict, cap: int) -> int:
    """Matching listings, counted up to ``cap`` (a ``$limit`` before ``$count``: cost follows the cap)."""
    found = list(Listing._get_collection().aggregate([{"$match": match}, {"$limit": cap}, {"$count": "n"}]))
    return int(found[0]["n"]) if found else 0


def _sort_key(sort: dict):
    """A Python key giving rows the order ``sort`` gives them in the database."""
    def key(row):
        return tuple(_Descending(row.get(f)) if d < 0 else _Ascending(row.get(f)) for f, d in sort.items())
    return key


class _Ascending:
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __lt__(self, other):
        return _compare(self.value, other.value) < 0

    def __eq__(self, other):
        return _compare(self.value, other.value) == 0


class _Descending(_Ascending):
    def __lt__(self, other):
        return _compare(self.value, other.value) > 0


def _compare(a, b) -> int:
    if a is None or b is None:
        return (a is not None) - (b is not None)  # null sorts first ascending, as in MongoDB
    return (a > b) - (a < b)


def _read_merged(matches: list[dict], sort: dict, skip: int, limit: int) -> list[dict]:
    """Rows ``[skip, skip+limit)`` of the union of disjoint matches in ``sort`` order."""
    if len(matches) == 1:
        return _read(matches[0], sort, skip, limit)
    rows = [row for match in matches for row in _read(match, sort, 0, skip + limit)]
    return sorted(rows, key=_sort_key(sort))[skip:skip + limit]


def _walk_counted(groups: list[list[dict]], counts: list[list[int]], small: dict, skip: int, limit: int
                  ) -> list[dict]:
    """The page ``[skip, skip+limit)`` in score order, reading only the groups it overlaps.

    ``counts`` say which groups the page overlaps; a group whose patterns are all small comes
    from ``small`` (their rows, kept with the counts) instead of the database.
    """
    rows: list[dict] = []
    for g, (matches, sizes) in enumerate(zip(groups, counts)):
        if len(rows) >= limit:
            break
        size = sum(sizes)
        if size == 0:
            continue
        if skip >= size:
            skip -= size
            continue
        kept = [small.get(f"{g}.{m}") for m in range(len(matches))]
        if all(found is not None for found in kept):
            merged = sorted((row for found in kept for row in found), key=_sort_key(_NEWEST))
            rows += merged[skip:skip + limit - len(rows)]
        else:
            rows += _read_merged(matches, _NEWEST, skip, limit - len(rows))
        skip = 0
    return rows


# Any change to a listing bumps this, so cached pattern counts never outlive the data they counted.
VERSION_KEY = "pc:marketplace:listings-version"
COUNTS_TTL_SECONDS = 60
# A pattern with at most this many listings is kept whole with the counts (see _group_counts).
SMALL_PATTERN_ROWS = 50


def listings_changed() -> None:
    """Note that listings changed (listed, repriced, delisted, reserved, relisted, sold, re-snapshotted)."""
    try:
        get_redis().incr(VERSION_KEY)
    except RedisError:
        pass  # counts then live out their short TTL; browse never fails because Redis did


def _group_counts(groups: list[list[dict]], cap: int) -> tuple[list[list[int]], dict]:
    """Each pattern's matching listings counted up to ``cap``, and the rows of the small ones.

    A pattern of at most ``SMALL_PATTERN_ROWS`` listings is read whole (newest first) instead
    of counted: on a database that scans for a rare combination, its page then costs nothing
    more. Both are cached in Redis per listings version; a cached count is reused when it is
    exact (below the cap it was counted with) or was counted with at least this cap, so deep
    pages recount only what they need.
    """
    redis = get_redis()
    codec = Listing._get_collection().codec_options
    key, cached = None, None
    try:
        version = redis.get(VERSION_KEY) or b"0"
        digest = hashlib.sha256(json.dumps([version.decode(), groups], sort_keys=True, default=str).encode())
        key = f"pc:marketplace:browse-counts:{digest.hexdigest()}"
        raw = redis.get(key)
        cached = bson.decode(raw, codec_options=codec) if raw else None
    except (RedisError, bson.errors.BSONError):
        cached = None
    counts: list[list[list[int]]] = []
    small: dict = dict(cached["r"]) if cached else {}
    changed = cached is None
    for g, matches in enumerate(groups):
        sizes = []
        for m, match in enumerate(matches):
            known = cached["c"][g][m] if cached else None  # [count, cap counted with]
            if known is None:
                rows = _read(match, _NEWEST, 0, SMALL_PATTERN_ROWS + 1)
                if len(rows) <= SMALL_PATTERN_ROWS:
                    small[f"{g}.{m}"] = rows
                    known = [len(rows), len(rows) + 1]  # exact
                else:
                    known = [_count(match, cap), cap]
                changed = True
            elif known[0] >= known[1] and known[1] < cap:
                known, changed = [_count(match, cap), cap], True
            sizes.append(known)
        counts.append(sizes)
    if changed and key is not None:
        try:
            redis.set(key, bson.encode({"c": counts, "r": small}, codec_options=codec), ex=COUNTS_TTL_SECONDS)
        except RedisError:
            pass
    return [[count for count, _cap in sizes] for sizes in counts], small


def browse(partner: Partner, args: dict) -> dict:
    """One page of listed leads for a buyer, ranked by ICP score by reading the score patterns in order.

    Each pattern is counted (capped) to know which patterns a page overlaps and the total; the
    counts are cached in Redis per listings version, so a repeated or next page reads only the
    one or two patterns it overlaps.
    """
    page, per_page = args["page"], args["perPage"]
    skip = (page - 1) * per_page
    base = base_match(partner, args)
    sort_by = args.get("sort") or "score"
    min_score = args.get("minScore")
    # The patterns (and the distinct titles they need) only when the score filters or orders.
    groups = score_groups(partner.icp) if sort_by == "score" or min_score is not None else []
    if groups and min_score is not None and min_score <= groups[-1][0]:
        min_score = None  # every listing scores at least the lowest pattern: the filter keeps them all
    cap = count_cap()
    kept = [[_and(base, p) for p in patterns] for score, patterns in groups
            if min_score is None or score >= min_score]
    if min_score is None and (sort_by != "score" or not groups):
        # No score in the filter or the order (without an ICP every score is null: newest first).
        counted = _count(base, cap + 1)
        rows = _read(base, _SORTS.get(sort_by, _NEWEST), skip, per_page)
    else:
        counts, small = _group_counts(kept, max(cap + 1, skip + per_page + 1))
        counted = sum(sum(sizes) for sizes in counts)
        if sort_by == "score":
            rows = _walk_counted(kept, counts, small, skip, per_page)
        else:
            matches = [m for ms, sizes in zip(kept, counts) for m, n in zip(ms, sizes) if n]
            rows = _read_merged(matches, _SORTS[sort_by], skip, per_page) if matches else []
    total = min(counted, cap)
    return {"items": [card_from_row(partner, row) for row in rows], "total": total, "totalCapped": counted > cap,
            "page": page, "perPage": per_page, "pages": (total + per_page - 1) // per_page}


def card_from_row(partner: Partner, row: dict) -> dict:
    """A browse card from a raw row (ids come back as strings), scored by the Python definition."""
    score, matched = scoring.score_listing(partner.icp, row)
    return {**row, "id": str(row["_id"]), "icp_score": score, "matched_criteria": matched}
