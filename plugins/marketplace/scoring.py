"""The ICP fit score: one definition evaluated in Python and compiled into an aggregation stage.

Weights: industry 35, companySize 25, country 20, jobTitleOrSeniority 20. A criterion the
buyer left empty is dropped from the denominator; no criterion at all gives ``None``.

``jobTitleOrSeniority`` is constrained when the buyer lists seniorities or job-title
keywords, and matched when the listing's seniority is one of the buyer's seniorities OR
its (lower-cased) job title contains one of the buyer's (lower-cased) keywords as a
substring ("sales" matches "vp of sales operations").

score = floor(100 * matched weight / constrained weight + 0.5), i.e. rounded half up.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

WEIGHTS = {"industry": 35, "companySize": 25, "country": 20, "jobTitleOrSeniority": 20}
NOTIFY_THRESHOLD = 60


@dataclass(frozen=True)
class Criterion:
    """One constrained criterion of a buyer's ICP: its name, weight and accepted values."""
    name: str
    weight: int
    values: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


def criteria_for(icp) -> list[Criterion]:
    """The criteria a buyer's ICP constrains (empty lists are neutral)."""
    if icp is None:
        return []
    found = []
    if icp.industries:
        found.append(Criterion("industry", WEIGHTS["industry"], tuple(icp.industries)))
    if icp.company_sizes:
        found.append(Criterion("companySize", WEIGHTS["companySize"], tuple(icp.company_sizes)))
    if icp.countries:
        found.append(Criterion("country", WEIGHTS["country"], tuple(c.upper() for c in icp.countries)))
    keywords = tuple(k.strip().lower() for k in (icp.job_titles or []) if k and k.strip())
    if icp.seniorities or keywords:
        found.append(Criterion("jobTitleOrSeniority", WEIGHTS["jobTitleOrSeniority"],
                               tuple(icp.seniorities or ()), keywords))
    return found


# Listing fields each criterion reads (as stored on marketplace_listings).
_FIELD = {"industry": "industry", "companySize": "company_size", "country": "country"}


def _matches(criterion: Criterion, listing: dict) -> bool:
    if criterion.name == "jobTitleOrSeniority":
        title = (listing.get("job_title_key") or "").lower()
        return listing.get("seniority") in criterion.values or any(k in title for k in criterion.keywords)
    return listing.get(_FIELD[criterion.name]) in criterion.values


def rounded_score(matched: int, constrained: int) -> int:
    """The score of a matched weight out of the constrained weight, rounded half up."""
    return int(math.floor(100 * matched / constrained + 0.5))


def score_listing(icp, listing: dict, criteria: list[Criterion] | None = None) -> tuple[int | None, list[str]]:
    """Score one listing's snapshot (a dict of stored field names) for a buyer's ICP.

    :param criteria: ``criteria_for(icp)`` when the caller scores many listings for one buyer
        (reading the ICP's fields costs more than the scoring itself).
    """
    if criteria is None:
        criteria = criteria_for(icp)
    if not criteria:
        return None, []
    matched = [c for c in criteria if _matches(c, listing)]
    return rounded_score(sum(c.weight for c in matched), sum(c.weight for c in criteria)), [c.name for c in matched]


def _match_expression(criterion: Criterion) -> dict:
    """True when the listing meets the criterion. A missing or null field yields false on every
    MongoDB ($in of null, and $indexOfCP of null is null, which is not >= 0)."""
    if criterion.name == "jobTitleOrSeniority":
        clauses = []
        if criterion.values:
            clauses.append({"$in": ["$seniority", list(criterion.values)]})
        # $indexOfCP instead of $regexMatch: no escaping, and portable to every server we run on.
        clauses += [{"$gte": [{"$indexOfCP": ["$job_title_key", k]}, 0]} for k in criterion.keywords]
        return clauses[0] if len(clauses) == 1 else {"$or": clauses}
    return {"$in": [f"${_FIELD[criterion.name]}", list(criterion.values)]}


def score_stage(icp) -> dict:
    """One ``$addFields`` stage giving each listing its ``score`` for this buyer (None without ICP).

    The denominator is known before the query (it depends on the buyer only), so the stage is
    a sum of ``$cond`` weights, scaled and rounded half up: the cheapest expression that
    computes exactly what ``score_listing`` does.
    """
    criteria = criteria_for(icp)
    if not criteria:
        return {"$addFields": {"score": None}}
    matched_weight = {"$add": [{"$cond": [_match_expression(c), c.weight, 0]} for c in criteria]}
    total = sum(c.weight for c in criteria)
    return {"$addFields": {"score": {"$floor": {"$add": [
        {"$divide": [{"$multiply": [100, matched_weight]}, total]}, 0.5]}}}}
