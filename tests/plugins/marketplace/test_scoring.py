"""The ICP score: weights, neutral empty criteria, the jobTitle/seniority rule, and that the
database computes exactly what the Python definition says."""
import itertools

import pytest

from pc_app.core.models import ICP
from plugins.marketplace import scoring
from plugins.marketplace.models import Listing

LISTING = {"industry": "saas", "company_size": "51-200", "country": "US", "job_title_key": "vp of sales",
           "seniority": "vp"}


def test_no_icp_at_all_gives_no_score():
    assert scoring.score_listing(ICP(), LISTING) == (None, [])


def test_full_icp_fully_matched_scores_100():
    icp = ICP(industries=["saas"], company_sizes=["51-200"], countries=["US"], job_titles=["sales"],
              seniorities=["vp"])
    assert scoring.score_listing(icp, LISTING) == (100, ["industry", "companySize", "country",
                                                         "jobTitleOrSeniority"])


def test_full_icp_partly_matched_uses_the_weights():
    icp = ICP(industries=["saas"], company_sizes=["1-10"], countries=["DE"], job_titles=["cto"],
              seniorities=["c_level"])
    assert scoring.score_listing(icp, LISTING) == (35, ["industry"])


def test_empty_criteria_are_dropped_from_the_denominator():
    # Only industry (35) and country (20) constrained; industry matches: 35 / 55 = 63.6 → 64.
    icp = ICP(industries=["saas"], countries=["FR"])
    assert scoring.score_listing(icp, LISTING) == (64, ["industry"])
    # Only company size constrained and matched: 100, whatever the other attributes are.
    assert scoring.score_listing(ICP(company_sizes=["51-200"]), {**LISTING, "industry": "retail"}) == \
        (100, ["companySize"])


def test_job_title_or_seniority_matches_on_either():
    by_keyword = ICP(job_titles=["Sales"])                    # keywords compare case-blind
    by_seniority = ICP(seniorities=["vp"])
    neither = ICP(job_titles=["marketing"], seniorities=["director"])
    assert scoring.score_listing(by_keyword, {**LISTING, "seniority": None})[0] == 100
    assert scoring.score_listing(by_seniority, {**LISTING, "job_title_key": None})[0] == 100
    assert scoring.score_listing(neither, LISTING)[0] == 0


def test_listing_missing_attributes_never_match():
    icp = ICP(industries=["saas"], company_sizes=["51-200"])
    assert scoring.score_listing(icp, {"industry": None})[0] == 0


ICPS = [
    ICP(),
    ICP(industries=["saas", "retail"]),
    ICP(industries=["saas"], countries=["US", "GB"]),
    ICP(company_sizes=["11-50"], job_titles=["sales", "revenue"]),
    ICP(industries=["banking"], company_sizes=["51-200"], countries=["DE"], seniorities=["vp", "director"]),
    ICP(industries=["saas"], company_sizes=["51-200"], countries=["US"], job_titles=["chief"],
        seniorities=["manager"]),
]
SNAPSHOTS = [
    dict(zip(("industry", "company_size", "country", "job_title_key", "seniority"), values))
    for values in itertools.product(("saas", "banking", None), ("51-200", "11-50", None), ("US", "DE"),
                                    ("vp of sales", "chief revenue officer", None), ("vp", "manager", None))
]


@pytest.mark.parametrize("icp", ICPS, ids=range(len(ICPS)))
def test_database_scores_exactly_like_python(app_ctx, icp):
    collection = Listing._get_collection()
    # Null attributes and, in the last document, missing ones.
    snapshots = SNAPSHOTS + [{}]
    collection.insert_many([{"_id": f"{i:024x}", **snapshot} for i, snapshot in enumerate(snapshots)])
    rows = {row["_id"]: row for row in collection.aggregate([{"$match": {}}, scoring.score_stage(icp)])}
    for i, snapshot in enumerate(snapshots):
        got = rows[f"{i:024x}"]["score"]
        assert (None if got is None else int(got)) == scoring.score_listing(icp, snapshot)[0], snapshot
