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


def _rounded(matched: int, constrained: int) -> int:
    return int(math.floor(100 * matched / constrained + 0.5))


def score_listing(icp, listing: dict) -> tuple[int | None, list[str]]:
    """Score one listing's snapshot (a dict of stored field names) for a buyer's ICP."""
    criteria = criteria_for(icp)
    if not criteria:
        return None, []
    matched = [c for c in criteria if _matches(c, listing)]
    return _rounded(sum(c.weight for c in matched), sum(c.weight for c in criteria)), [c.name for c in matched]


def _flag_expression(criterion: Criterion) -> dict:
    if criterion.name == "jobTitleOrSeniority":
        clauses = []
        if criterion.values:
            clauses.append({"$in": [{"$ifNull": ["$seniority", ""]}, list(criterion.values)]})
        # $indexOfCP instead of $regexMatch: no escaping, and portable to every server we run on.
        clauses += [{"$gte": [{"$indexOfCP": [{"$ifNull": ["$job_title_key", ""]}, k]}, 0]} for k in criterion.keywords]
        condition = clauses[0] if len(clauses) == 1 else {"$or": clauses}
    else:
        condition = {"$in": [{"$ifNull": [f"${_FIELD[criterion.name]}", ""]}, list(criterion.values)]}
    return {"$cond": [condition, 1, 0]}


def flag_field(name: str) -> str:
    return f"_match_{name}"


def score_stages(icp) -> list[dict]:
    """``$addFields`` stages giving each listing ``score`` and one 0/1 flag per criterion."""
    criteria = criteria_for(icp)
    if not criteria:
        return [{"$addFields": {"score": None}}]
    flags = {flag_field(c.name): _flag_expression(c) for c in criteria}
    matched_weight = {"$add": [{"$multiply": [f"${flag_field(c.name)}", c.weight]} for c in criteria]}
    total = sum(c.weight for c in criteria)
    score = {"$floor": {"$add": [{"$divide": [{"$multiply": [100, matched_weight]}, total]}, 0.5]}}
    return [{"$addFields": flags}, {"$addFields": {"score": score}}]


def matched_from_row(icp, row: dict) -> list[str]:
    """The criteria names whose flag the aggregation set on this row (flags come back as 0/1)."""
    return [c.name for c in criteria_for(icp) if row.get(flag_field(c.name))]
