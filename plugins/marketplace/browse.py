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
Per-pattern counts are capped and cached in Redis per listings version (``listings_changed``); a
listing reserved, delisted, relisted or repriced is moved in them instead (``listing_changes``).
"""
from __future__ import annotations

import hashlib
import itertools
import json
import time
from collections.abc import Callable, Iterable

import bson

from redis.exceptions import RedisError

from pc_app.toolkit import (WHOLE_BATCH, Lead, Partner, cached, count_cap, count_upto, distinct_pipeline, get_redis,
                            kept_answer, read_along, text_contains)

from . import listing_changes, scoring
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
_CRITERION_FIELDS = frozenset(_FIELD.values())


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
        terms += [f"t:{t}" for t in listed_titles() if t and any(k in t for k in criterion.keywords)]
    return terms


def listed_titles() -> list[str]:
    """The distinct title keys of the listings, read from the database only when none are kept.

    Every listing counts, whatever its status, so the kept titles change only when a listing is
    made or re-snapshotted, and those add their title to them (``listings_changed(titles=[...])``):
    a new listing costs the next buyer no read. The kept set may hold a title no listing has any
    more (a seller edited it); such a title matches nothing, so the score is unchanged.
    Kept as long as buyers browse (each read renews the TTL); filled only if no listing brought
    a title since the read began (``_FILL_TITLES``).
    """
    try:
        redis = get_redis()
        reads = redis.pipeline(transaction=False)  # one round trip: the titles, their TTL, the generation
        reads.smembers(TITLES_KEY).expire(TITLES_KEY, TITLES_TTL_SECONDS).get(TITLES_GENERATION_KEY)
        kept, _renewed, generation = reads.execute()
        if kept:
            return sorted(title.decode() for title in kept if title)  # b"": the mark of a set read empty
    except RedisError:
        redis = None
    titles = read_listed_titles()
    if redis is not None:
        try:
            redis.register_script(_FILL_TITLES)(keys=[TITLES_KEY, TITLES_GENERATION_KEY, *listing_changes.STATE_KEYS],
                                                args=[generation or b"0", TITLES_TTL_SECONDS, "", *titles])
        except RedisError:
            pass
    return titles


def keep_titles() -> None:
    """Have the listed titles kept before a listing that may bring a title is made (read from the database
    when none are kept: at most once a day while listings are made), so that when it settles
    ``listing_changes`` can tell whether its title is one browse knew."""
    try:
        if get_redis().exists(TITLES_KEY):
            return
    except RedisError:
        return
    listed_titles()


def read_listed_titles() -> list[str]:
    """The distinct title keys of every listing, from the database (unfiltered, ``distinct`` is read
    from the index on every server: 7 ms at 100,000 listings)."""
    return sorted(t for t in Listing._get_collection().distinct("job_title_key") if isinstance(t, str) and t)


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
        groups.setdefault(scoring.rounded_score(weight, total), []).append(match)
    return sorted(groups.items(), key=lambda item: -item[0])


def _owned_emails_pipeline(partner_id: str) -> list[dict]:
    return distinct_pipeline("email", {"partner": partner_id, "is_deleted": False})


# For ``reads_along`` on the browse route: a buyer's owned e-mails go in the round trip that reads
# the signed-in user and partner, when the request makes one (its first in AUTH_STATE_CACHE_SECONDS).
_OWNED_EMAILS = "owned_emails"
OWNED_EMAILS_ALONG = {_OWNED_EMAILS: (Lead._meta["collection"], _owned_emails_pipeline)}


def owned_emails(partner: Partner) -> list[str]:
    """The e-mails of the buyer's live leads (index on the lead's partner: cost follows the buyer's leads).

    They go into every page query as ``email $nin [...]``: still a plain match, checked on the
    rows the page query reads anyway, so hiding owned leads never scans the marketplace and
    page boundaries stay those of the full definition. They are kept in Redis until the next
    write that may reach the buyer's own leads (``collection_versions.count_writes_by_owner``):
    a buyer's next pages skip the read, whatever other partners write.
    When the request read the signed-in user or partner, they were read in that round trip
    (``OWNED_EMAILS_ALONG``).
    """
    leads = Lead._get_collection()

    def read() -> list[str]:
        rows = read_along(_OWNED_EMAILS, partner.id)
        if rows is None:
            rows = leads.aggregate(_owned_emails_pipeline(partner.id), batchSize=WHOLE_BATCH)
        return sorted({row["_id"].lower() for row in rows if isinstance(row["_id"], str) and row["_id"]})

    # Kept until the next write that may reach this buyer's leads (``owner``: others' writes leave it).
    return cached(get_redis(), leads, f"pc:marketplace:owned-emails:{partner.id}", read, COUNTS_TTL_SECONDS,
                  owner=partner.id)


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
    """Both conditions in one flat match where possible (a top-level ``$and`` stays plain, but flat
    is what every server reads best): a field both constrain gets both operators, two ``$in``
    become their intersection."""
    if "$and" in base:
        return {"$and": [*base["$and"], pattern]}
    merged = dict(base)
    for field, condition in pattern.items():
        if field not in merged:
            merged[field] = condition
            continue
        both = dict(merged[field])
        for op, values in condition.items():
            both[op] = [v for v in both[op] if v in values] if op == "$in" and op in both else \
                sorted(set(both.get(op, [])) | set(values)) if op == "$nin" else values
        merged[field] = both
    return merged


# The scalar criterion fields, in the order of the index that serves their equalities.
_CELL_FIELDS = ("industry", "company_size", "country")
# A pattern is split into at most this many equality cells (fields past the budget stay $in).
MAX_CELLS = 24
# Every cell repeats the whole match (the buyer's owned e-mails included) in one command: the
# cells of a match stay within this many bytes, far below MongoDB's 16 MB command limit.
MAX_UNION_BYTES = 4 * 1024 * 1024
# A pattern with at most this many listings is read whole from its cells, unsorted (the
# equalities are index lookups only without a sort the index cannot give), then ordered here.
SMALL_PATTERN = 500


def cells(match: dict) -> list[dict]:
    """``match`` as disjoint matches with an equality where it had ``$in`` on a scalar field.

    ``{industry: {$in: [a, b]}, country: {$in: [US]}}`` becomes ``{industry: a, country: US}``
    and ``{industry: b, country: US}``: the same listings (a listing has one industry), but an
    equality is an index lookup on every server, where ``$in`` is one only on servers that know
    the field is not an array (nx-27017 tests each row: a rare pattern costs a scan of the
    marketplace). Fields are expanded in index order while the cells stay within ``MAX_CELLS``
    and, together, within ``MAX_UNION_BYTES`` (a buyer who owns 100,000 e-mails gets fewer cells).
    A field whose values are all excluded makes no cell at all (it matches nothing).
    """
    if "$and" in match:
        return [match]
    budget = max(1, min(MAX_CELLS, MAX_UNION_BYTES // len(bson.encode(match))))
    expanded: list[tuple[str, list]] = []
    size = 1
    for field in _CELL_FIELDS:
        condition = match.get(field)
        if not isinstance(condition, dict) or "$in" not in condition or set(condition) - {"$in", "$nin"}:
            continue
        excluded = set(condition.get("$nin", ()))
        values = [value for value in dict.fromkeys(condition["$in"]) if value not in excluded]
        if not values:
            return []
        if size * len(values) > budget:
            break
        size *= len(values)
        expanded.append((field, values))
    found = [match]
    for field, values in expanded:
        found = [{**cell, field: value} for cell in found for value in values]
    return found


def _union(pipelines: list[list[dict]], tail: list[dict] = (), rows: int = 101) -> list[dict]:
    """The rows of several pipelines on the listings, in one round trip (``$unionWith``), then ``tail``.

    ``rows``: at most how many come back, so they come in the command's first batch (a cursor
    hands out 101 and then one ``getMore`` round trip per batch).
    """
    if not pipelines:
        return []
    collection = Listing._get_collection()
    first, *rest = pipelines
    stages = first + [{"$unionWith": {"coll": collection.name, "pipeline": p}} for p in rest]
    return list(collection.aggregate(stages + list(tail), batchSize=max(rows, 1)))


def _small(skip: int, limit: int) -> int:
    """Up to how many listings a match is read whole from its cells for the rows ``[skip, skip+limit)``.

    Twice the rows needed: reading a few more rows unsorted is cheaper than a sorted walk that
    must pass them all anyway (page 50 of a 1,500-row pattern: 431 ms sorted).
    """
    return max(SMALL_PATTERN, 2 * (skip + limit))


def _read(match: dict, sort: dict, skip: int, limit: int, count: int | None = None,
          parts: list[dict] | None = None) -> list[dict]:
    """Rows ``[skip, skip+limit)`` of ``match`` in ``sort`` order.

    A match with equality cells is counted first, unless ``count`` tells its size (exact, or a
    lower bound above ``_small`` for "more"): one round trip of index lookups. A small match is
    then read whole from its cells, unsorted, and ordered here; a large one is dense, so the
    sorted read finds its rows quickly along the newest-first index. (A sorted read of a rare
    match would walk that index to its end: the stand-in cannot both narrow by the equalities
    and keep the order.) ``parts``: ``cells(match)`` when the caller has them.
    """
    if limit <= 0:
        return []
    parts = cells(match) if parts is None else parts
    if count is None and parts != [match]:
        count = _count(match, _small(skip, limit) + 1, parts)
    return _read_many([(match, sort, skip, limit, count, parts)])[0]


def _read_many(reads: list[tuple[dict, dict, int, int, int | None, list[dict]]]) -> list[list[dict]]:
    """``_read`` of several matches whose size is known, in as few round trips as the command budget
    allows (one, usually): each ``(match, sort, skip, limit, size, cells)``, ``size`` as ``_read``
    takes it (None only for a match without cells). Each read is its own pipeline of one
    ``$unionWith`` command, its rows tagged with it (nx-27017 answers a sorted read there as fast
    as alone: 61-75 ms against 74-90 ms at 100,000 listings)."""
    return _read_and_count(reads, [])[0]


def _read_and_count(reads: list[tuple[dict, dict, int, int, int | None, list[dict]]],
                    counts: list[tuple[int, list[dict]]]) -> tuple[list[list[dict]], list[int]]:
    """``_read_many``'s reads, and ``_counts``' capped counts ``(cap, cells)`` in the first of its commands:
    a count that rides along with reads costs no round trip of its own."""
    found: list[list[dict]] = [[] for _read in reads]
    planned: list[tuple[int, list[list[dict]], int]] = []  # (read, its pipelines, the rows back)
    read_whole: list[int] = []
    for index, read in enumerate(reads):
        plan = _read_plan(*read)
        if plan is not None:
            pipelines, rows_back, whole = plan
            planned.append((index, pipelines, rows_back))
            if whole:
                read_whole.append(index)
    if not planned:
        return found, _counts(counts)
    tagged = len(planned) > 1
    counted = [0] * len(counts)
    for number, batch in enumerate(_in_commands(planned, lambda item: [pipeline[0]["$match"] for pipeline in item[1]])):
        _read_batch(batch, tagged, found, counts if number == 0 else [], counted)
    for index in read_whole:  # read whole and unsorted: ordered and cut here
        _match, sort, skip, limit, _size, _parts = reads[index]
        found[index] = _ordered(found[index], sort)[skip:skip + limit]
    return found, [min(cap, n) for (cap, _parts), n in zip(counts, counted)]


def _read_plan(match: dict, sort: dict, skip: int, limit: int, size: int | None,
               parts: list[dict]) -> tuple[list[list[dict]], int, bool] | None:
    """How ``_read_many`` reads one match: its pipelines, how many rows they send back at most, and
    whether they read it whole (unsorted: ordered and cut afterwards); None when there is nothing to read."""
    if limit <= 0 or size == 0 or not parts:
        return None
    if parts != [match] and size is not None and size <= _small(skip, limit):
        return [[{"$match": part}, {"$limit": _small(skip, limit) + 1}] for part in parts], size + 1, True
    narrow = parts[0] if len(parts) == 1 else match  # a single-valued $in as an equality: never worse
    return [[{"$match": narrow}, {"$sort": sort}, {"$skip": skip}, {"$limit": limit}]], limit, False


def _short(known: list[int] | None, n: int) -> bool:
    """Whether what is known of a match's size (``[count, cap]``) leaves open whether it reaches ``n``:
    not counted, or counted only to a cap below ``n``."""
    return known is None or (known[0] >= known[1] and known[1] < n)


def _tells(known: list[int] | None, small: int) -> bool:
    """Whether what is known of a match's size (``[count, cap]``: exact below the cap) tells ``_read``
    how to read it: exact, or more than ``small``."""
    return known is not None and (known[0] < known[1] or known[0] > small)


def _read_batch(batch: list[tuple[int, list[list[dict]], int]], tagged: bool, found: list[list[dict]],
                counts: list[tuple[int, list[dict]]] = (), counted: list[int] | None = None) -> None:
    """One command of ``_read_many``: its reads' pipelines (tagged with their read when there are
    several), the rows put back with their reads; and ``counts``' cells (a ``$count`` row each, tagged
    ``_q`` with its count), added up in ``counted``."""
    pipelines = [pipeline + ([{"$addFields": {"_r": index}}] if tagged else [])
                 for index, read_pipelines, _rows in batch for pipeline in read_pipelines]
    pipelines += [[{"$match": part}, {"$limit": cap}, {"$count": "n"}, {"$addFields": {"_q": index}}]
                  for index, (cap, parts) in enumerate(counts) for part in parts]
    rows_back = sum(rows for _index, _pipelines, rows in batch) + sum(len(parts) for _cap, parts in counts)
    for row in _union(pipelines, [{"$project": _HIDDEN_FROM_BROWSE}], rows=rows_back):
        if "_q" in row:  # a count's row (a listing has no such field)
            counted[row["_q"]] += int(row["n"])
        else:
            found[row.pop("_r") if tagged else batch[0][0]].append(row)


def _known_size(counted: int, cap: int, skip: int, limit: int) -> int | None:
    """What a capped total tells ``_read`` of a match's size: exact below the cap; past it a lower
    bound, which says "more" only when it is above the threshold for reading whole."""
    return counted if counted <= cap or counted > _small(skip, limit) else None


def _count(match: dict, cap: int, parts: list[dict] | None = None) -> int:
    """Matching listings, counted up to ``cap`` (cost follows the cap): its cells in one round trip."""
    parts = cells(match) if parts is None else parts
    if len(parts) <= 1:
        # Not count_capped: what browse counts is kept per listings version (PatternKnowledge),
        # which outlives any total kept per write to the listings (a view counter is one).
        return count_upto(Listing._get_collection(), parts[0], cap - 1) if parts else 0
    return _counts([(cap, parts)])[0]


# At most this many pipelines go in one ``$unionWith`` command. Our local stand-in answers 40
# capped counts in 3 ms at 20,000 listings and 48 in a second (past its planner's limit, it
# reads every row); MongoDB has no such limit.
MAX_UNION_PIPELINES = 32
# A first visit whose page reaches more patterns than one command holds reads a bare filter set of
# at most this many listings whole, in one command (nx-27017: 42-62 ms for 1,000 rows, where three
# commands of cells took 97-108 ms).
READ_WHOLE_AT_MOST = 1000


def _meets(match: dict):
    """A test of whether a row of the filter set meets a pattern's criteria: its ``$in``/``$nin`` on the
    criterion fields, as the database reads them (an array meets ``$in`` by any element, a missing
    field never)."""
    conditions = [(field, set(condition["$in"]) if "$in" in condition else None, set(condition.get("$nin", ())))
                  for field, condition in match.items() if field in _CRITERION_FIELDS and isinstance(condition, dict)]

    def test(row: dict) -> bool:
        for field, accepted, refused in conditions:
            value = row.get(field)
            values = value if isinstance(value, list) else () if value is None else (value,)
            if (accepted is not None and accepted.isdisjoint(values)) or not refused.isdisjoint(values):
                return False
        return True
    return test


class _OneCommand:
    """What still fits one ``$unionWith`` command: ``MAX_UNION_PIPELINES`` pipelines, ``MAX_UNION_BYTES`` of matches."""

    def __init__(self):
        self.room, self.size = MAX_UNION_PIPELINES, 0

    def take(self, matches: list[dict], always: bool = False) -> bool:
        """Count ``matches`` (one per pipeline) in, when they fit (or ``always``); whether they did."""
        size = sum(len(bson.encode(match)) for match in matches)
        if not always and (len(matches) > self.room or self.size + size > MAX_UNION_BYTES):
            return False
        self.room, self.size = self.room - len(matches), self.size + size
        return True


def _counts(queries: list[tuple[int, list[dict]]]) -> list[int]:
    """Several capped counts (``(cap, cells)`` each) in as few round trips as the command budget allows
    (one, usually): every cell's ``$count``, tagged with its query."""
    found = [0] * len(queries)
    for batch in _in_commands(list(enumerate(queries)), lambda query: query[1][1]):
        pipelines = [[{"$match": part}, {"$limit": cap}, {"$count": "n"}, {"$addFields": {"q": index}}]
                     for index, (cap, parts) in batch for part in parts]
        for row in _union(pipelines, rows=len(pipelines)):
            found[row["q"]] += int(row["n"])
    return [min(cap, n) for (cap, _parts), n in zip(queries, found)]


def _in_commands(items: list, matches_of) -> list[list]:
    """``items`` in order, split into as few commands as ``_OneCommand`` allows (``matches_of(item)``:
    the matches of its pipelines); an item that fits no command alone gets one of its own."""
    batches: list[list] = [[]]
    command = _OneCommand()
    for item in items:
        matches = matches_of(item)
        if not command.take(matches):
            if batches[-1]:
                batches.append([])
            command = _OneCommand()
            command.take(matches, always=True)
        batches[-1].append(item)
    return [batch for batch in batches if batch]


def _ordered(rows: list[dict], sort: dict) -> list[dict]:
    """``rows`` in the order ``sort`` gives them in the database (null first ascending, as in MongoDB).

    One stable sort per field, the last field first, on plain tuples: ten times faster than a key
    of comparison objects (0.5 against 6.6 ms for 1,000 rows).
    """
    ordered = list(rows)
    for field, direction in reversed(list(sort.items())):
        ordered.sort(key=lambda row, f=field: (row.get(f) is not None, row.get(f)), reverse=direction < 0)
    return ordered


def _one_less(known: list | None) -> list | None:
    """A pattern's count ``[count, cap]`` with one listing less: exact stays exact; "at least n" becomes
    "at least n - 1", unknown when that says nothing."""
    if known is None:
        return None
    count, cap = known
    if count < 1:
        raise listing_changes.Unknown("a count below zero")
    if count < cap:
        return [count - 1, cap]
    return [count - 1, count - 1] if count > 1 else None


def _one_more(known: list | None) -> list | None:
    """A pattern's count ``[count, cap]`` with one listing more: exact stays exact (its cap moved past
    it), "at least n" becomes "at least n + 1"."""
    if known is None:
        return None
    count, cap = known
    return [count + 1, max(cap, count + 2)] if count < cap else [count + 1, count + 1]


# A listing made or re-snapshotted bumps this, so cached pattern counts never outlive the data they
# counted (a listing reserved, delisted, relisted or repriced is moved in them: ``listing_changes``).
VERSION_KEY = "pc:marketplace:listings-version"
COUNTS_TTL_SECONDS = 60
# The first rows of each pattern a request read are kept with its count (a rare pattern whole).
KEPT_ROWS = 100
# The filter set's total is counted this far past the cap, so that as many listings can leave
# browse before a total past the cap must be counted again to tell whether it still is.
LEAVES_ABSORBED = 100
# Knowledge that only had listing changes applied (nothing learnt from the database) is saved once
# it is this many changes behind, or half its TTL old: saving writes all of it again (3-4 ms at
# 10,000 listings, half of a page rebuilt after a change), applying a few changes again at the next
# load costs far less. Saving that late also keeps knowledge whose buyer no change concerns from
# falling ``listing_changes.MOST_AT_ONCE`` behind, which would have it learnt again.
SAVE_BEHIND_CHANGES = 20
# KEYS: the leaves announced, the knowledge. ARGV: the number seen at load, the knowledge, its TTL.
# Saved only when no change was announced since: one may have changed what the database answered.
_SAVE_IF_NONE_LEFT = """
if (redis.call('get', KEYS[1]) or '0') ~= ARGV[1] then return 0 end
redis.call('set', KEYS[2], ARGV[2], 'EX', ARGV[3])
return 1
"""


# The listed titles (``listed_titles``): a Redis set, with the empty string in it so that a set read
# with no title at all is kept too. A read renews its TTL: it lives as long as buyers browse.
TITLES_KEY = "pc:marketplace:listed-titles"
TITLES_TTL_SECONDS = 24 * 3600
# Bumped when a listing brought a title while no titles were kept, or when what changed is not
# known: a read of the titles that began before it does not keep what it read.
TITLES_GENERATION_KEY = "pc:marketplace:titles-generation"

# KEYS: the titles, their generation, the listing changes announced and settled. ARGV: the
# generation the reader saw, the TTL, the titles. Fills the set only when it is still missing, no
# listing brought a title since the reader looked (that title may be missing from what it read),
# and no listing change is in flight (a listing made while the reader read may be in what it read:
# its settle must not find its title and take it for one browse knew, ``listing_changes``).
# In chunks: Lua's unpack has a stack limit.
_FILL_TITLES = """
if redis.call('exists', KEYS[1]) == 1 or (redis.call('get', KEYS[2]) or '0') ~= ARGV[1] then return 0 end
if (redis.call('get', KEYS[3]) or '0') ~= (redis.call('get', KEYS[4]) or '0') then return 0 end
for i = 3, #ARGV, 1000 do redis.call('sadd', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV))) end
redis.call('expire', KEYS[1], ARGV[2])
return 1
"""
# KEYS: the listings version, the titles, their generation. ARGV: "known" or "unknown", then the
# titles listings got. Kept titles get the new ones; while none are kept, a reader may be filling
# them from a read made before the listing, so the generation turns it away. Titles not known:
# the kept ones are dropped and read again.
_NOTE_CHANGE = """
redis.call('incr', KEYS[1])
if ARGV[1] == 'unknown' then
  redis.call('del', KEYS[2])
  redis.call('incr', KEYS[3])
elseif #ARGV > 1 then
  if redis.call('exists', KEYS[2]) == 1 then
    for i = 2, #ARGV, 1000 do redis.call('sadd', KEYS[2], unpack(ARGV, i, math.min(i + 999, #ARGV))) end
  else
    redis.call('incr', KEYS[3])
  end
end
return 1
"""


def listings_changed(titles: Iterable[str | None] | None = None) -> None:
    """Note that listings changed (listed, re-snapshotted; a write that could not tell ``listing_changes``
    what it moved).

    ``titles``: the title keys of the listings made or re-snapshotted (None among them: no title),
    added to the kept titles; ``()`` when no listing got a title. Left out (None), the titles are
    not known, and are read again from the database.
    """
    args = ["unknown"] if titles is None else ["known", *sorted({t for t in titles if t})]
    try:
        get_redis().register_script(_NOTE_CHANGE)(keys=[VERSION_KEY, TITLES_KEY, TITLES_GENERATION_KEY], args=args)
    except RedisError:
        pass  # counts then live out their short TTL; browse never fails because Redis did


class KeptRows:
    """The kept rows of each pattern (or order) of a ``PatternKnowledge``, decoded only when read.

    Each entry is stored as its own BSON document, nested as bytes in the knowledge, so loading
    the knowledge copies bytes instead of building every kept row: a buyer's page reads the
    heads of one or two groups, while the knowledge can hold a hundred rows of each of 16
    patterns (decoding them all cost 2.5 ms of a 5 ms rebuild). An entry read and not replaced
    is saved again as the bytes it came as.
    """

    def __init__(self, codec_options, stored: dict[str, bytes] | None = None):
        self.codec_options = codec_options
        self._stored = dict(stored or {})
        self._rows: dict[str, list[dict]] = {}

    def __contains__(self, key: str) -> bool:
        return key in self._rows or key in self._stored

    def get(self, key: str, default=None):
        if key not in self._rows:
            if key not in self._stored:
                return default
            self._rows[key] = bson.decode(self._stored[key], codec_options=self.codec_options)["rows"]
        return self._rows[key]

    def __getitem__(self, key: str) -> list[dict]:
        if key not in self:
            raise KeyError(key)
        return self.get(key)

    def __setitem__(self, key: str, rows: list[dict]) -> None:
        self._rows[key] = rows
        self._stored.pop(key, None)  # encoded again when saved

    def __delitem__(self, key: str) -> None:
        self._rows.pop(key, None)
        self._stored.pop(key, None)

    def stored(self) -> dict[str, bytes]:
        """Every entry as the bytes to store."""
        return {**self._stored, **{key: bson.encode({"rows": rows}, codec_options=self.codec_options)
                                   for key, rows in self._rows.items() if key not in self._stored}}


class PatternKnowledge:
    """What is known of each score pattern for one buyer and filter set: its count, maybe its rows.

    Kept in Redis per listings version (``listings_changed`` bumps it), so what a request
    learns saves the next one the database; a listing changed since it was kept is moved in it
    when it is loaded (``listing_changes``, ``_move``). An entry is ``[count, cap]`` (exact when
    ``count < cap``) or None (unknown); a pattern that was read also keeps its first
    ``KEPT_ROWS`` rows (newest first; a rare pattern whole), so the first pages of a buyer's
    browse, and a rare combination a database without a fitting index scans for, are read
    once per listings version.
    """

    def __init__(self, key_parts: list, build_groups, base: dict):
        """Load what is known under ``key_parts`` (listings version added), with the listings changed
        since moved in it; ``build_groups()`` gives the patterns (their ``$match`` per group) when nothing
        is known yet. ``base``: the buyer's filter set (``base_match``), which the total counts."""
        self.codec = Listing._get_collection().codec_options
        self.key = None
        self.changed = False
        self.base = base
        self.seq, self.in_flight = 0, set()
        self._tests = None  # the patterns' tests, built when first asked (``_pattern_tests``)
        # How many changes the stored knowledge is behind, and when it was stored (epoch seconds).
        self.behind, self.saved_at = 0, 0.0
        cached = None
        try:
            redis = get_redis()
            version, seq, settled = redis.mget(VERSION_KEY, *listing_changes.STATE_KEYS)
            self.seq = int(seq or 0)
            self.in_flight = listing_changes.in_flight(redis, self.seq, int(settled or 0))
            digest = hashlib.sha256(json.dumps([(version or b"0").decode(), key_parts], sort_keys=True,
                                               default=str).encode())
            # "3": saved with the changes it has applied (``l``); a key of an earlier layout is never read.
            self.key = f"pc:marketplace:browse-patterns:3:{digest.hexdigest()}"
            raw = redis.get(self.key)
            cached = bson.decode(raw, codec_options=self.codec) if raw else None
        except (RedisError, bson.errors.BSONError):
            cached = None
        if cached:
            # The patterns themselves are kept too (as JSON: their keys are operators), so a
            # visit that finds everything it needs here costs no database read at all.
            self.groups = json.loads(cached["g"])
            self.counts, self.rows, self.counted = cached["c"], KeptRows(self.codec, cached["r"]), cached.get("t")
            self.behind, self.saved_at = self.seq - cached["l"], float(cached.get("s") or 0)
            try:
                self._apply_changes(cached["l"])
            except listing_changes.Unknown:
                cached = None  # what changed cannot be told: learnt again
        if not cached:
            self.groups, self._tests = build_groups(), None
            self.counts = [[None] * len(matches) for matches in self.groups]
            self.rows, self.counted = KeptRows(self.codec), None
            self.changed = True
        self.fresh = not cached  # nothing known yet: a first visit in this listings version

    def _apply_changes(self, seen: int) -> None:
        """Apply the changes to listings made since this knowledge was saved, when it had seen ``seen``
        of them (one still in flight is left out: the knowledge is then not saved, see ``save``).

        :raises listing_changes.Unknown: one of them cannot be told, or does not fit what is kept.
        """
        if self.seq < seen:
            raise listing_changes.Unknown("fewer changes than the knowledge saw")  # Redis was emptied
        changes = listing_changes.changes_since(list(range(seen + 1, self.seq + 1)), self.in_flight, self.codec)
        for before, after in changes:
            if before is not None:
                self._move(before, into=False)
            if after is not None:
                self._move(after, into=True)

    def _move(self, row: dict, into: bool) -> None:
        """Move one listing out of browse (``into`` False: reserved, delisted, or as it was before a
        change) or into it (relisted, or as it is after a change): the total, its pattern's count and
        the kept rows it is among."""
        if not listing_changes.meets(self.base, row):
            return  # not in this buyer's filter set
        if self.counted is not None:
            self.counted = self._total_moved(into)
        # Kept as the database's rows are read: without the fields browse never shows.
        kept = {field: value for field, value in row.items() if field not in _HIDDEN_FROM_BROWSE} if into else row
        move_in_head, one_more_or_less = (self._put_in_head, _one_more) if into else (self._take_out_of_head, _one_less)
        for (g, m), test in self._pattern_tests():
            if test(row):  # the row meets the filter set: only the criteria tell its pattern
                move_in_head(f"{g}.{m}", kept, _NEWEST, self._whole(g, m))
                self.counts[g][m] = one_more_or_less(self.counts[g][m])
        for order, sort in _SORTS.items():
            head = self.rows.get(f"order:{order}")
            if head is not None:  # an order's first KEPT_ROWS rows: fewer are all of them
                move_in_head(f"order:{order}", kept, sort, len(head) < KEPT_ROWS)

    def _total_moved(self, into: bool) -> int | None:
        """The capped total with one listing more or less: exact below the cap; past it a lower bound,
        which one less may no longer say is past the cap (unknown then)."""
        if into:
            return self.counted + 1
        cap = count_cap()
        if self.counted < 1:
            raise listing_changes.Unknown("a total below zero")
        return self.counted - 1 if self.counted <= cap or self.counted - 1 > cap else None

    def _take_out_of_head(self, key: str, row: dict, sort: dict, whole: bool) -> None:
        """Take ``row`` out of the kept rows under ``key`` (the first rows in ``sort`` order, or all of
        them when ``whole``): still all of them without it, else dropped (one row short, read again)."""
        head = self.rows.get(key)
        if head is None:
            return
        at = next((i for i, kept in enumerate(head) if kept["_id"] == row["_id"]), None)
        if at is None:
            if whole or (head and _ordered([head[-1], row], sort)[0] is row):
                raise listing_changes.Unknown("a row that left was not where the kept rows say it was")
            return  # past the kept rows
        if whole:
            self.rows[key] = head[:at] + head[at + 1:]
        else:
            del self.rows[key]

    def _put_in_head(self, key: str, row: dict, sort: dict, whole: bool) -> None:
        """Put ``row`` in the kept rows under ``key`` where ``sort`` places it, when it falls among them
        (always when they are ``whole``), keeping at most ``KEPT_ROWS``."""
        head = self.rows.get(key)
        if head is None:
            return
        if any(kept["_id"] == row["_id"] for kept in head):
            raise listing_changes.Unknown("a row that came was kept already")
        if whole or (head and _ordered([head[-1], row], sort)[0] is row):
            self.rows[key] = _ordered([*head, row], sort)[:KEPT_ROWS]

    def save(self) -> None:
        """Keep what is known for the next request, only when no listing may have changed while it was
        learnt: no change in flight when it loaded, none announced since (``listing_changes``). What
        only had changes applied waits until it is ``SAVE_BEHIND_CHANGES`` behind or half its TTL old."""
        if self.key is None or self.in_flight:
            return
        now = time.time()
        if not self.changed and (self.behind == 0 or (self.behind < SAVE_BEHIND_CHANGES
                                                      and now - self.saved_at < COUNTS_TTL_SECONDS / 2)):
            return
        value = bson.encode({"g": json.dumps(self.groups), "c": self.counts, "r": self.rows.stored(),
                             "t": self.counted, "l": self.seq, "s": now}, codec_options=self.codec)
        try:
            get_redis().register_script(_SAVE_IF_NONE_LEFT)(keys=[listing_changes.SEQ_KEY, self.key],
                                                            args=[self.seq, value, COUNTS_TTL_SECONDS])
        except RedisError:
            pass

    def total(self, count) -> int:
        """The filter set's capped total: ``count()`` once per listings version."""
        if self.counted is None:
            self.counted, self.changed = count(), True
        return self.counted

    def count_ahead(self, need: int, total: tuple[dict, int] | None = None, page_end: int | None = None) -> None:
        """Count, in one round trip, what a first visit would otherwise count one pattern at a time.

        The not-yet-sized patterns with equality cells, best first, as many as fit one command
        (``MAX_UNION_PIPELINES``, ``MAX_UNION_BYTES``), and with them the filter set's capped
        ``total`` ``(match, cap)`` when it is not known yet. The best group's patterns are
        counted as far as ``size`` (``need``) and a head read would count them, and with
        ``page_end`` as far as a read of that page from them must know; the later groups only as
        far as the page could use them (``page_end`` + 1):
        counting a broad pattern the page never reaches to 501 cost the stand-in up to 100 ms,
        where counting it to 26 costs a fraction of a millisecond. A later pattern the page does
        reach and that holds more than that is counted again, further, when it is read. Only on
        a first visit: a repeat reads what was kept, and counting ahead would add a round trip.
        """
        if not self.fresh:
            return
        command = _OneCommand()
        totals: list[tuple[int, list[dict]]] = []
        if total is not None and self.counted is None:
            totals = [(total[1], cells(total[0]))]
            command.take(totals[0][1], always=True)
        full = max(need, _small(0, KEPT_ROWS + 1) + 1)
        # The best group, when a page ends at ``page_end``, as far as a read of the page from it must
        # know (as ``size`` with ``reading``): a pattern longer than the page end puts the page there.
        best = full if page_end is None else max(full, _small(0, page_end) + 1)
        wanted = [(g, m, best if g == 0 else full if page_end is None else min(full, page_end + 1), parts)
                  for g, m, parts in self._unsized_that_fit(command)]
        if not totals and len(wanted) < 2:
            return  # nothing to gather: the lazy count costs the same one round trip
        counted = _counts(totals + [(cap, parts) for _g, _m, cap, parts in wanted])
        if totals:
            self.counted, self.changed = counted.pop(0), True
        self._record_counts(wanted, counted)

    def read_ahead(self, skip: int, limit: int, base: dict) -> None:
        """Read, in one round trip, the heads a first visit's page within the kept heads would read one at a time.

        Walks the groups best first with what ``count_ahead`` learnt, and reads the head of each
        pattern of every group up to the one that fills rows ``[0, skip+limit)``, exactly as
        ``_head`` would: a pattern known to be small whole from its cells, one known to be large
        (or without cells, taken to fill the page) newest first, each row tagged with its
        pattern. When the buyer's whole filter set is known to be small (its total counted
        exactly, at most ``count_cap()``), any pattern with cells is read whole too, whatever is
        known of it: together they hold no more rows than that total, so the page needs no count
        of its own. Otherwise the walk stops at a pattern whose size it cannot tell apart (not
        counted, or counted only as far as the page needed): that pattern and the rest of its
        group are counted in this same command (``_counts_for_heads``), so the page's read of them
        needs no count first. A pattern that does not fit the command stops the walk too: ``_head``
        counts and reads it, and the rest, as before.

        When the patterns a small filter set's page reaches do not fit one command (a buyer whose
        criteria split into many cells: 2 to 3 commands at 1,000 listings), the filter set is read
        whole instead and each row given its pattern here (``_read_filter_set``).
        """
        if not self.fresh or skip + limit > KEPT_ROWS:
            return
        small = _small(0, KEPT_ROWS + 1)
        small_total = self.counted if self.counted is not None and self.counted <= count_cap() else None
        reads: list[tuple[int, int, tuple]] = []  # (group, pattern, what _read_many reads of it)
        counts: list[tuple[int, int, int, list[dict]]] = []  # (group, pattern, cap, cells) counted along
        read_whole: set[tuple[int, int]] = set()
        command = _OneCommand()
        reached = 0
        for g, m, match in self._patterns():
            if m == 0 and reached >= skip + limit:
                break  # the groups walked so far fill the page
            known = self.counts[g][m]
            parts = cells(match)
            if f"{g}.{m}" in self.rows or not parts or (known is not None and known[0] == 0):
                continue  # kept already, or empty (_head knows it without reading)
            if parts == [match] or _tells(known, small):
                # As _head would: small whole from its cells, large (or without cells) newest first.
                read = (match, _NEWEST, 0, KEPT_ROWS + 1, known[0] if parts != [match] else None, parts)
                pipelines, _rows, whole = _read_plan(*read)
                expected, counts_it = (known[0] if whole else KEPT_ROWS + 1), False
            elif small_total is not None:
                # Whole, whatever its size: the filter set holds at most small_total rows.
                read = (match, _NEWEST, 0, small_total + 1, small_total, parts)
                pipelines = _read_plan(*read)[0]
                expected = known[0] if known is not None else 0  # at least; at most small_total
                counts_it = True
            else:
                # Its size is not known well enough to choose the read: it, and the rest of its group,
                # are counted along with these reads as far as the page's read of the group must know
                # (``_read_patterns``), which then reads them without a count of its own.
                counts = self._counts_for_heads(g, m, command)
                break
            if not command.take([pipeline[0]["$match"] for pipeline in pipelines]):
                if small_total is not None and self._read_filter_set(base, small_total):
                    return
                break
            reads.append((g, m, read))
            if counts_it:
                read_whole.add((g, m))
            reached += expected
        if len(reads) + len(counts) < 2:
            return  # one read or count, or none: the page's own read costs the same round trip
        read_rows, counted = _read_and_count([read for _g, _m, read in reads],
                                             [(cap, parts) for _g, _m, cap, parts in counts])
        for (g, m, _read), rows in zip(reads, read_rows):
            self._keep_head(g, m, rows)
            if (g, m) in read_whole:
                self.counts[g][m] = [len(rows), len(rows) + 1]  # read whole: exact
        if counts:
            self._record_counts(counts, counted)

    def _counts_for_heads(self, g: int, first: int, command: _OneCommand) -> list[tuple[int, int, int, list[dict]]]:
        """``(group, pattern, cap, cells)`` of group ``g``'s patterns from ``first`` on whose size a read of
        their heads must know first (as ``_read_patterns`` counts them), as many as fit ``command``."""
        cap = _small(0, KEPT_ROWS + 1)
        counts = []
        for m in range(first, len(self.groups[g])):
            match, known = self.groups[g][m], self.counts[g][m]
            parts = cells(match)
            if f"{g}.{m}" in self.rows or not parts or parts == [match] or _tells(known, cap):
                continue  # kept, empty, without cells, or known well enough: no count before its read
            if not command.take(parts):
                break
            counts.append((g, m, cap + 1, parts))
        return counts

    def _read_filter_set(self, base: dict, total: int) -> bool:
        """Read the buyer's whole filter set in one command and keep every pattern's head and exact
        count, each row given the pattern it meets here; whether it was read.

        Only for a bare filter set (listed, not the buyer's own, not an e-mail the buyer owns) of
        at most ``READ_WHOLE_AT_MOST`` listings: the rows the database walks for it are the listed
        ones along ``(status, -created_at)``, that total plus the buyer's own listings and
        owned e-mails. A filter (an industry, a price, a seniority, a text...) would make it walk
        listings the total does not bound, so those keep reading pattern by pattern.
        """
        if total > READ_WHOLE_AT_MOST or set(base) - {"status", "seller", "email"}:
            return False
        projection = {field: 0 for field in _HIDDEN_FROM_BROWSE if field != "fit_terms"}
        rows = list(Listing._get_collection().aggregate(
            [{"$match": base}, {"$limit": READ_WHOLE_AT_MOST + 1}, {"$project": projection}],
            batchSize=READ_WHOLE_AT_MOST + 1))
        if len(rows) > READ_WHOLE_AT_MOST:
            return False  # listed since it was counted: the page is read pattern by pattern
        tests = self._pattern_tests()
        by_pattern: dict[tuple[int, int], list[dict]] = {pattern: [] for pattern, _test in tests}
        for row in _ordered(rows, _NEWEST):  # each pattern's rows come out newest first
            found = next((pattern for pattern, test in tests if test(row)), None)
            row.pop("fit_terms", None)
            if found is not None:  # always: the patterns are disjoint and together make the filter set
                by_pattern[found].append(row)
        for (g, m), found in by_pattern.items():
            self.rows[f"{g}.{m}"], self.counts[g][m] = found[:KEPT_ROWS], [len(found), len(found) + 1]  # exact
        self.changed = True
        return True

    def _pattern_tests(self) -> list[tuple[tuple[int, int], Callable[[dict], bool]]]:
        """``((group, pattern), test)`` best first, each pattern's test (``_meets``) built once per knowledge:
        every listing change applied asks each pattern whether its row meets it."""
        if self._tests is None:
            self._tests = [((g, m), _meets(match)) for g, m, match in self._patterns()]
        return self._tests

    def _patterns(self, only_unsized: bool = False):
        """``(group, pattern, match)`` best first (only those not sized yet, with ``only_unsized``)."""
        for g, matches in enumerate(self.groups):
            for m, match in enumerate(matches):
                if not only_unsized or self.counts[g][m] is None:
                    yield g, m, match

    def _unsized_that_fit(self, command: _OneCommand, after: int = -1):
        """``(group, pattern, cells)`` of the patterns not sized yet that have cells, best first from
        the group after ``after``, as long as they fit ``command``. A pattern without cells has
        its head read first (``size``), not counted."""
        for g, m, match in self._patterns(only_unsized=True):
            parts = cells(match)
            if g <= after or parts == [match]:
                continue
            if not command.take(parts):
                return
            yield g, m, parts

    def _exact(self, g: int, m: int) -> bool:
        known = self.counts[g][m]
        return known is not None and known[0] < known[1]

    def _read_patterns(self, reads: list[tuple[int, int, int, int]], sort: dict = _NEWEST) -> list[list[dict]]:
        """Rows ``[skip, skip+limit)`` of patterns ``(group, pattern, skip, limit)`` in ``sort`` order, in one
        round trip (``_read_many``); before it, one more counts every pattern whose size must be
        known to choose its read (``_read``), and what it counts is kept for the next request."""
        small = [_small(skip, limit) for _g, _m, skip, limit in reads]
        parts = [cells(self.groups[g][m]) for g, m, _skip, _limit in reads]
        self._count_patterns([(g, m, cap + 1, cells_of) for (g, m, _skip, _limit), cap, cells_of in zip(reads, small, parts)
                              if cells_of != [self.groups[g][m]] and not _tells(self.counts[g][m], cap)])
        return _read_many([(self.groups[g][m], sort, skip, limit,
                            self.counts[g][m][0] if _tells(self.counts[g][m], cap) else None, cells_of)
                           for (g, m, skip, limit), cap, cells_of in zip(reads, small, parts)])

    def _whole(self, g: int, m: int) -> bool:
        """Whether the kept head is the whole pattern."""
        head = self.rows.get(f"{g}.{m}")
        return head is not None and self._exact(g, m) and self.counts[g][m][0] <= len(head)

    def _head(self, g: int, m: int) -> list[dict]:
        """The pattern's first ``KEPT_ROWS`` rows (all of them when fewer), read once and kept."""
        self._heads(g, [m])
        return self.rows[f"{g}.{m}"]

    def _heads(self, g: int, patterns: list[int]) -> None:
        """Read and keep the heads of those of group ``g``'s ``patterns`` not kept yet, together."""
        missing = [m for m in patterns if f"{g}.{m}" not in self.rows]
        for m, rows in zip(missing, self._read_patterns([(g, m, 0, KEPT_ROWS + 1) for m in missing])):
            self._keep_head(g, m, rows)

    def _keep_head(self, g: int, m: int, rows: list[dict]) -> None:
        """Keep a pattern's first ``KEPT_ROWS`` rows, from a newest-first read of up to ``KEPT_ROWS + 1``,
        and what that read tells of its size."""
        self.rows[f"{g}.{m}"] = rows[:KEPT_ROWS]
        known = self.counts[g][m]
        if len(rows) <= KEPT_ROWS:
            self.counts[g][m] = [len(rows), len(rows) + 1]  # exact
        elif known is None or known[0] < len(rows):
            self.counts[g][m] = [len(rows), len(rows)]  # at least this many
        self.changed = True

    def size(self, g: int, need: int, reading: bool = False) -> int:
        """The group's listings: exact, or at least ``need`` (each pattern counted no further than needed).

        A pattern with equality cells is counted at once (index lookups, whatever its size), and
        so is one counted before only to less than ``need``. Any other pattern's head is read
        first (cheap where it is dense; where it is rare that read is what a count would cost,
        and the head is then the whole pattern), and counted up to ``need`` when its head does
        not tell. The group's counts go together, in as few commands as fit (``_count_patterns``).

        ``reading``: the page is read from this group when the group reaches ``need``. Past the
        kept heads, such a read must know each pattern's size up to ``_small`` to choose how to
        read it, so the patterns with cells are counted that far here. Counting past ``need``
        costs more only for a pattern longer than ``need``; such a pattern puts the page in this
        group, whose read would count it that far anyway, a round trip later.
        """
        matches = self.groups[g]
        # Counted past SMALL_PATTERN too, so a later read knows whether to read it whole.
        first_cap = max(need, _small(0, KEPT_ROWS + 1) + 1)
        # A page within the kept heads is read from them, whatever the sizes: only a deeper one needs them.
        deep = reading and need > KEPT_ROWS
        own_cap = max(first_cap, _small(0, need) + 1) if deep else first_cap
        enough = own_cap if deep else need
        wanted = [(g, m, own_cap if self.counts[g][m] is None else enough, parts)
                  for m, match in enumerate(matches) for parts in [cells(match)]
                  if parts != [match] and _short(self.counts[g][m], enough)]
        if any(self.counts[g][m] is None for _g, m, _cap, _parts in wanted):
            # Later groups' unsized patterns ride along while they fit the same command: a deep page
            # sizes them next, and a count in a command that is sent anyway costs no round trip.
            # Not with a recount alone (a group the count ahead sized only part way): measured on 50
            # buyers' page 50 at 100,000 listings, riding along there saved no round trip on average
            # (2.40 against 2.42) and cost 37 % more time (11.7 against 8.5 s in all). Nor with a deep
            # walk's second counting command, counting every later group still short as far as this one
            # (at most 3 round trips for all but one buyer, 2.28 on average): p50 156 -> 188 ms, p95
            # 399 -> 567 ms, 8.6 -> 11.7 s in all, the buyers whose page was in that group paying most. Nor
            # with a deep recount taking the next group alone, as far as the page could need it past what
            # is known of this one: 2.42 -> 2.10 round trips (one buyer at 4), but 9.0-9.5 -> 11.0 s in all
            # and p50 172-178 -> 209-213 ms (runs taken in turn, 2026-11-30).
            command = _OneCommand()
            command.take([part for *_own, parts in wanted for part in parts], always=True)
            wanted += [(later, m, first_cap, parts) for later, m, parts in self._unsized_that_fit(command, after=g)]
        self._count_patterns(wanted)
        self._heads(g, [m for m in range(len(matches)) if self.counts[g][m] is None])
        self._count_patterns([(g, m, need, cells(matches[m])) for m in range(len(matches))
                              if _short(self.counts[g][m], need)])
        return sum(self.counts[g][m][0] for m in range(len(matches)))

    def _count_patterns(self, wanted: list[tuple[int, int, int, list[dict]]]) -> None:
        """Count patterns ``(group, pattern, cap, cells)`` in as few round trips as the command budget allows."""
        for g, m, cap, parts in wanted:
            if not parts:
                self.counts[g][m], self.changed = [0, cap], True  # its cells match nothing
        counted = [pattern for pattern in wanted if pattern[3]]
        if counted:
            self._record_counts(counted, _counts([(cap, parts) for _g, _m, cap, parts in counted]))

    def _record_counts(self, counted_patterns: list[tuple[int, int, int, list[dict]]], counted: list[int]) -> None:
        """What capped counts of patterns ``(group, pattern, cap, cells)`` found: exact below the cap, else at least it."""
        for (g, m, cap, _parts), n in zip(counted_patterns, counted):
            self.counts[g][m] = [n, cap]
        self.changed = True

    def read(self, spans: list[tuple[int, int, int]]) -> list[dict]:
        """Rows ``[skip, skip+limit)`` of each group of ``spans`` ``(group, skip, limit)`` in turn, newest first
        within a group: each pattern's rows ``[0, skip+limit)`` merged, from its head when that covers
        them (read now when not kept), every read of every span together."""
        reads: list[tuple[int, int, int, int]] = []
        plans: list[tuple[int, int, int, set[int] | None]] = []  # (group, skip, limit, patterns from their head)
        for g, skip, limit in spans:
            matches = self.groups[g]
            end = skip + limit
            if len(matches) == 1 and end > KEPT_ROWS and not self._whole(g, 0):
                reads.append((g, 0, skip, limit))  # past the head: read just the page
                plans.append((g, skip, limit, None))
                continue
            from_head = {m for m in range(len(matches)) if end <= KEPT_ROWS or self._whole(g, m)}
            reads += [(g, m, 0, KEPT_ROWS + 1) if m in from_head else (g, m, 0, end) for m in range(len(matches))
                      if m not in from_head or f"{g}.{m}" not in self.rows]
            plans.append((g, skip, limit, from_head))
        got = dict(zip(((g, m) for g, m, _skip, _limit in reads), self._read_patterns(reads)))
        rows: list[dict] = []
        for g, skip, limit, from_head in plans:
            if from_head is None:
                page = got[(g, 0)]
                if skip == 0 and len(page) < limit:
                    self.counts[g][0], self.changed = [len(page), len(page) + 1], True  # read to its end
                rows += page
                continue
            merged: list[dict] = []
            for m in range(len(self.groups[g])):
                if m in from_head:
                    if (g, m) in got:
                        self._keep_head(g, m, got[(g, m)])
                    merged += self.rows[f"{g}.{m}"][:skip + limit]
                else:
                    if len(got[(g, m)]) < skip + limit and not self._exact(g, m):
                        self.counts[g][m], self.changed = [len(got[(g, m)]), len(got[(g, m)]) + 1], True  # to its end
                    merged += got[(g, m)]
            rows += _ordered(merged, _NEWEST)[skip:skip + limit]
        return rows

    def merged(self, skip: int, limit: int, sort: dict) -> list[dict]:
        """Rows ``[skip, skip+limit)`` of all the patterns in ``sort`` order (not the score): the first
        ``skip+limit`` of each, read together, merged here."""
        found = self._read_patterns([(g, m, 0, skip + limit) for g, matches in enumerate(self.groups)
                                     for m in range(len(matches))], sort)
        return _ordered([row for rows in found for row in rows], sort)[skip:skip + limit]

    def _exact_size(self, g: int) -> int | None:
        """The group's listings when every pattern's count is exact, else None."""
        return sum(self.counts[g][m][0] for m in range(len(self.groups[g]))) \
            if all(self._exact(g, m) for m in range(len(self.groups[g]))) else None

    def page(self, skip: int, limit: int) -> list[dict]:
        """The page ``[skip, skip+limit)`` in score order: groups before it are only sized, never read.

        The groups the page spans are read together while the size of each but the last is known
        exactly (so how many rows it gives is known); a group of unknown size is taken to fill the
        page, and if it does not, the next groups are read after it.
        """
        rows: list[dict] = []
        g = 0
        while g < len(self.groups) and len(rows) < limit:
            spans: list[tuple[int, int, int]] = []
            want = limit - len(rows)
            while g < len(self.groups) and want > 0:
                if skip:
                    size = self.size(g, skip + want, reading=True)  # also tells whether it fills the page
                    if skip >= size:
                        skip, g = skip - size, g + 1
                        continue
                elif all(known is not None and known[0] == 0 for known in self.counts[g]):
                    g += 1
                    continue  # known to be empty: no read
                spans.append((g, skip, want))
                size = self._exact_size(g)
                want = 0 if size is None else want - min(want, size - skip)
                skip, g = 0, g + 1
            rows += self.read(spans)
        return rows


def browse(partner: Partner, args: dict) -> dict:
    """One page of listed leads for a buyer, ranked by ICP score by reading the score patterns in order.

    A first page reads the patterns best first until it is full; a later page sizes the
    patterns before it (capped counts) and reads only those it overlaps. What is learnt is kept
    per listings version (``PatternKnowledge``).
    """
    page, per_page = args["page"], args["perPage"]
    skip = (page - 1) * per_page
    base = base_match(partner, args)
    sort_by = args.get("sort") or "score"
    min_score = args.get("minScore")
    criteria = scoring.criteria_for(partner.icp)
    if criteria and min_score is not None and min_score <= 0:
        min_score = None  # the lowest pattern (nothing matched) scores 0: the filter keeps every listing
    cap = count_cap()
    total_cap = cap + 1 + LEAVES_ABSORBED  # how far the filter set's total is counted
    if not criteria and min_score is not None:
        counted, rows = 0, []  # without an ICP nothing has a score, so nothing reaches minScore
    elif min_score is None and (sort_by != "score" or not criteria):
        # No score in the filter or the order (without an ICP every score is null: newest first).
        # The capped total is kept per listings version; it also tells _read the match's size.
        known = PatternKnowledge([base, "total"], list, base)
        counted = known.total(lambda: _count(base, total_cap))
        order = sort_by if sort_by in _SORTS else "newest"
        if skip + per_page <= KEPT_ROWS:
            # The first KEPT_ROWS rows of this order are kept with the total, as a pattern's head
            # is: a buyer's first pages are read once per listings version.
            head = known.rows.get(f"order:{order}")
            if head is None:
                head = _read(base, _SORTS[order], 0, KEPT_ROWS, _known_size(counted, cap, 0, KEPT_ROWS))
                known.rows[f"order:{order}"], known.changed = head, True
            rows = head[skip:skip + per_page]
        else:
            rows = _read(base, _SORTS[order], skip, per_page, _known_size(counted, cap, skip, per_page))
        known.save()
    else:
        known = PatternKnowledge([base, criteria_key(criteria), min_score],
                                 lambda: [[_and(base, p) for p in patterns] for score, patterns
                                          in score_groups(partner.icp) if min_score is None or score >= min_score],
                                 base)
        # A first visit's counts in one round trip: with minScore every pattern is sized to the cap
        # (their sum is the total); by score, the total and the patterns as far as the page needs.
        if min_score is not None:
            known.count_ahead(cap + 1)
        else:
            known.count_ahead(skip + per_page, total=(base, total_cap), page_end=skip + per_page)
        if min_score is None:
            counted = known.total(lambda: _count(base, total_cap))
        else:  # the total is the patterns' (each counted up to the cap: their sum passes it iff the total does)
            counted = sum(known.size(g, cap + 1) for g in range(len(known.groups)))
        if counted <= cap and skip >= counted:
            rows = []  # past the end of a list counted exactly: nothing to size or read
        elif sort_by == "score":
            known.read_ahead(skip, per_page, base)
            rows = known.page(skip, per_page)
        else:
            rows = known.merged(skip, per_page, _SORTS[sort_by])
        known.save()
    total = min(counted, cap)
    return {"items": [card_from_row(partner, row, criteria) for row in rows], "total": total, "totalCapped": counted > cap,
            "page": page, "perPage": per_page, "pages": (total + per_page - 1) // per_page}


def criteria_key(criteria: list) -> list[tuple]:
    """The buyer's criteria as part of a cache key (the weight follows from the name; ``astuple``
    would deep-copy every value first)."""
    return [(c.name, c.values, c.keywords) for c in criteria]


def browse_answer(partner: Partner, args: dict, schema):
    """``browse`` as the JSON answer dumped by ``schema``, kept until the listings or the buyer's own leads change.

    A card says nothing but the listing's snapshot and the buyer's score: the answer depends on
    the listings (``VERSION_KEY``, bumped by ``listings_changed``, and ``listing_changes.DONE_KEY``,
    by a listing reserved, delisted, relisted or repriced), the buyer's owned e-mails (the write
    version of the buyer's own leads), the buyer's criteria and the arguments. Two
    things move without a bump and are as late as the kept answer (``LIST_PAGE_CACHE_SECONDS``,
    30 s): a view counter (as in the kept pattern heads) and a lead's age in days.
    """
    criteria = criteria_key(scoring.criteria_for(partner.icp))
    return kept_answer(Lead._get_collection(), ["browse", str(partner.id), criteria, args],
                       lambda: browse(partner, args), schema,
                       counters=(VERSION_KEY, listing_changes.DONE_KEY), owner=partner.id)


def card_from_row(partner: Partner, row: dict, criteria: list | None = None) -> dict:
    """A browse card from a raw row (ids come back as strings), scored by the Python definition
    (``criteria``: the buyer's, computed once per page)."""
    score, matched = scoring.score_listing(partner.icp, row, criteria)
    return {**row, "id": str(row["_id"]), "icp_score": score, "matched_criteria": matched}
