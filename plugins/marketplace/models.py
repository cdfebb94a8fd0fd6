"""The marketplace's one collection: a lead offered for sale, with the snapshot buyers browse."""
from __future__ import annotations

from mongoengine import IntField, StringField

from pc_app.toolkit import DateTimeField, RefField, TimestampedDocument, ValueListField, count_writes_by_owner, utcnow

LISTING_STATUSES = ("listed", "reserved", "sold", "delisted")
OPEN_STATUSES = ("listed", "reserved")


class Listing(TimestampedDocument):
    """One offer of one lead by its seller.

    ``open_key`` holds the lead id while the listing is open (listed or reserved) and is
    unset when it closes: a sparse unique index on it allows at most one open listing per
    lead on every MongoDB (partial indexes are ignored by some wire-compatible servers).
    """
    meta = {"collection": "marketplace_listings", "indexes": [
        {"fields": ["open_key"], "unique": True, "sparse": True},
        ("status", "-created_at"),
        ("status", "price"),
        ("seller", "status", "-created_at"),
        ("seller", "-created_at"),  # my listings without a status filter
        ("lead", "-created_at"),
        ("status", "reservation_expires_ms"),
        "buyer",
        # Browse by score reads one plain match per ICP pattern (browse.py); these answer them.
        ("status", "fit_terms"),
        # ... and their equality cells (browse.cells): the scalar criteria, then the newest-first order.
        ("status", "industry", "company_size", "country", "-created_at"),
        # ... and, as prefixes, every other combination of them (cells are counted and read unsorted).
        ("status", "industry", "country"),
        ("status", "company_size", "country"),
        ("status", "country"),
        "job_title_key",  # the distinct titles a buyer's keywords are tested against
    ]}

    lead = RefField(required=True)
    seller = RefField(required=True)
    open_key = StringField()
    price = IntField(required=True, min_value=0)
    currency = StringField(default="usd", max_length=3)
    status = StringField(choices=LISTING_STATUSES, default="listed", required=True)

    # Snapshot of the lead's browse attributes at listing time (filters and ICP score read these).
    industry = StringField(null=True)
    company_size = StringField(null=True)
    country = StringField(null=True)
    job_title = StringField(null=True)
    job_title_key = StringField(null=True)  # lower-cased, so ICP keyword matching is case-blind
    seniority = StringField(null=True)
    # ["s:<seniority>", "t:<job_title_key>"]: the job-title-or-seniority criterion as one $in (browse.py).
    fit_terms = ValueListField(StringField(), default=list)
    company = StringField(null=True)
    first_name = StringField(null=True)
    masked_email = StringField()
    masked_phone = StringField(null=True)
    lead_created_at = DateTimeField()
    # The lead's e-mail (lower-case), only to hide leads a buyer already owns; never shown.
    email = StringField(required=True)

    view_count = IntField(default=0)
    # Partner ids; created as [] because $addToSet does not create a missing array everywhere.
    unique_viewers = ValueListField(StringField(), default=list)

    listed_at = DateTimeField(default=utcnow)
    delisted_at = DateTimeField()
    # Why it left unsold: seller, lead_deleted, seller_suspended or another plugin's reason.
    delisted_reason = StringField(null=True)
    reserved_by = RefField(null=True)
    reserved_at = DateTimeField()
    reservation_expires_at = DateTimeField()
    # The same instant as epoch milliseconds: the field queries compare (a $set datetime is unreliable to compare).
    reservation_expires_ms = IntField(null=True)
    # Names the hold (the payments reservation), so only that hold can be released.
    hold_id = StringField(null=True)
    buyer = RefField(null=True)
    sold_at = DateTimeField()
    sold_price = IntField(null=True)
    # What sold it (the payments purchase id).
    sale_ref = StringField(null=True)


# A seller's own listings are listed per seller: a reservation, view or sale of another seller's
# listing does not end them (browse keeps its own listings version: ``browse.py``).
count_writes_by_owner(Listing._meta["collection"], "seller")
