"""Marketplace schemas: the price body, browse filters, masked cards, detail and the seller's view."""
from __future__ import annotations

import datetime as dt

import marshmallow as ma
from marshmallow import validate

from pc_app.toolkit import (CountryCode, Integer, PageArgsSchema, ResponseSchema, Schema, UtcDateTime, as_utc,
                             beyond_schema, iso_utc, page_schema)
from pc_app.toolkit import vocabulary as v

from .models import LISTING_STATUSES
from .scoring import WEIGHTS
from .services import UNMASK_POLICIES

MATCH_CRITERIA = tuple(WEIGHTS)
_TEXT_OR_NULL = {"type": "string", "nullable": True}


def _get(obj, key):
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


class PriceSchema(Schema):
    price = Integer(required=True, metadata=beyond_schema(
        "within MARKETPLACE_MIN_PRICE..MARKETPLACE_MAX_PRICE (500..1,000,000 cents unless configured otherwise)",
        {"description": "Price in cents"}))


class BrowseArgsSchema(PageArgsSchema):
    industry = ma.fields.List(ma.fields.String(validate=validate.OneOf(v.INDUSTRIES)),
                              metadata={"description": "Only these industries (repeatable)"})
    companySize = ma.fields.List(ma.fields.String(validate=validate.OneOf(v.COMPANY_SIZES)),
                                 metadata={"description": "Only these company sizes (repeatable)"})
    country = ma.fields.List(CountryCode(), metadata={"description": "Only these countries, ISO 3166-1 alpha-2 "
                                                                     "(repeatable)"})
    seniority = ma.fields.List(ma.fields.String(validate=validate.OneOf(v.SENIORITIES)),
                               metadata={"description": "Only these seniorities (repeatable)"})
    minPrice = Integer(min=0, metadata={"description": "Lowest price, in cents"})
    maxPrice = Integer(min=0, metadata={"description": "Highest price, in cents"})
    minScore = Integer(min=0, max=100,
                                 metadata={"description": "Only listings scoring at least this for your ICP; "
                                                          "with no ICP configured nothing has a score"})
    q = ma.fields.String(validate=validate.Length(min=1, max=100),
                         metadata={"description": "Text in company, job title or first name"})
    sort = ma.fields.String(load_default="score", validate=validate.OneOf(["score", "newest", "price", "-price"]),
                            metadata={"description": "score (best ICP fit first, then newest), newest, "
                                                     "price (cheapest first) or -price"})


class _ListingBaseSchema(ResponseSchema):
    """Fields every view of a listing shares; contact data here is always the masked snapshot."""
    id = ma.fields.Method("_id", metadata={"type": "string", "description": "The listing's id"})
    leadId = ma.fields.String(attribute="lead")
    price = ma.fields.Integer(metadata={"description": "In cents"})
    currency = ma.fields.String(validate=validate.OneOf(v.CURRENCIES))
    status = ma.fields.String(validate=validate.OneOf(LISTING_STATUSES))
    firstName = ma.fields.String(attribute="first_name", allow_none=True)
    company = ma.fields.String(allow_none=True)
    jobTitle = ma.fields.String(attribute="job_title", allow_none=True)
    seniority = ma.fields.String(allow_none=True, validate=validate.OneOf(v.SENIORITIES))
    industry = ma.fields.String(allow_none=True, validate=validate.OneOf(v.INDUSTRIES))
    companySize = ma.fields.String(attribute="company_size", allow_none=True, validate=validate.OneOf(v.COMPANY_SIZES))
    country = ma.fields.String(allow_none=True)
    email = ma.fields.String(attribute="masked_email", allow_none=True)
    phone = ma.fields.String(attribute="masked_phone", allow_none=True)
    leadCreatedAt = UtcDateTime(attribute="lead_created_at", allow_none=True)
    leadAgeDays = ma.fields.Method("_lead_age_days", metadata={"type": "integer", "nullable": True,
                                                                "description": "Days since the lead was created"})
    listedAt = UtcDateTime(attribute="listed_at")
    viewCount = ma.fields.Integer(attribute="view_count")

    def _id(self, obj):
        return str(_get(obj, "id") or _get(obj, "_id"))

    def _lead_age_days(self, obj):
        created = as_utc(_get(obj, "lead_created_at"))
        if created is None:
            return None
        return max((dt.datetime.now(dt.timezone.utc) - created).days, 0)


class ListingCardSchema(_ListingBaseSchema):
    """A browse card: masked contact data, no notes, no last name, the buyer's ICP fit."""
    icpScore = ma.fields.Integer(attribute="icp_score", allow_none=True,
                                 metadata={"description": "0-100, or null when the buyer has no ICP"})
    matchedCriteria = ma.fields.List(ma.fields.String(validate=validate.OneOf(MATCH_CRITERIA)), attribute="matched_criteria",
                                     metadata={"description": "industry, companySize, country, "
                                                              "jobTitleOrSeniority"})


ListingCardPageSchema = page_schema(ListingCardSchema, "ListingCardPageSchema")

# Example for the OpenAPI document (tests/e2e/test_openapi_contract.py checks it against the schema).
LISTING_CARD_EXAMPLE = {
    "id": "6b0b5344195d341506b38cb2", "leadId": "6b0b5344195d341506b38cb0", "price": 5000, "currency": "usd",
    "status": "listed", "firstName": "Ada", "company": "Analytical Engines Ltd", "jobTitle": "Head of Engineering",
    "seniority": "director", "industry": "saas", "companySize": "51-200", "country": "GB",
    "email": "a***@analytical.example", "phone": "+44 ** **** 8750", "leadCreatedAt": "2026-11-28T22:18:44.835+00:00",
    "leadAgeDays": 0, "listedAt": "2026-11-28T22:18:44.848+00:00", "viewCount": 3, "icpScore": 64,
    "matchedCriteria": ["industry", "companySize"]}
LISTING_CARD_PAGE_EXAMPLE = {"items": [LISTING_CARD_EXAMPLE], "total": 1, "totalCapped": False, "page": 1,
                             "perPage": 25, "pages": 1}


class ListingDetailSchema(ListingCardSchema):
    """One listing opened by a partner: contact data unmasked when the policy allows, notes never."""
    email = ma.fields.Method("_email", metadata={**_TEXT_OR_NULL, "description": "Masked unless unmasked"})
    phone = ma.fields.Method("_phone", metadata={**_TEXT_OR_NULL, "description": "Masked unless unmasked"})
    lastName = ma.fields.Method("_last_name", metadata={**_TEXT_OR_NULL, "description": "null unless unmasked"})
    companyDomain = ma.fields.Method("_company_domain", metadata={**_TEXT_OR_NULL,
                                                                 "description": "null unless unmasked"})
    unmasked = ma.fields.Boolean()
    unmaskPolicy = ma.fields.String(attribute="unmask_policy", validate=validate.OneOf(UNMASK_POLICIES),
                                    metadata={"description": "When contact data is shown unmasked"})
    relationship = ma.fields.String(allow_none=True, validate=validate.OneOf(("reserved", "purchased")),
                                    metadata={"description": "What the caller has of this listing, or null"})
    uniqueViewers = ma.fields.Method("_unique_viewer_count", metadata={"type": "integer",
                                                                       "description": "How many partners opened it"})

    def _email(self, obj):
        return obj["lead_doc"].email if obj["unmasked"] else obj["masked_email"]

    def _phone(self, obj):
        return obj["lead_doc"].phone if obj["unmasked"] else obj["masked_phone"]

    def _last_name(self, obj):
        return obj["lead_doc"].last_name if obj["unmasked"] else None

    def _company_domain(self, obj):
        return obj["lead_doc"].company_domain if obj["unmasked"] else None

    def _unique_viewer_count(self, obj):
        return len(obj.get("unique_viewers") or [])


class MyListingSchema(_ListingBaseSchema):
    """The seller's view of its listing: views, the reservation and the sale."""
    uniqueViewers = ma.fields.Method("_unique_viewer_count", metadata={"type": "integer",
                                                                       "description": "How many partners opened it"})
    delistedAt = UtcDateTime(attribute="delisted_at", allow_none=True)
    delistedReason = ma.fields.String(attribute="delisted_reason", allow_none=True, metadata={
        "description": "Why it left unsold: seller, lead_deleted, seller_suspended or another plugin's reason; "
                       "null unless delisted"})
    reservation = ma.fields.Method("_reservation", metadata={
        "type": "object", "nullable": True, "description": "null unless reserved",
        "required": ["buyerPartnerId", "reservedAt", "expiresAt"],
        "properties": {"buyerPartnerId": {"type": "string"}, "reservedAt": {"type": "string", "format": "date-time"},
                       "expiresAt": {"type": "string", "format": "date-time"}}})
    sale = ma.fields.Method("_sale", metadata={
        "type": "object", "nullable": True, "description": "null unless sold",
        "required": ["buyerPartnerId", "soldAt", "price"],
        "properties": {"buyerPartnerId": {"type": "string"}, "soldAt": {"type": "string", "format": "date-time"},
                       "price": {"type": "integer", "description": "In cents"}}})
    createdAt = UtcDateTime(attribute="created_at")
    updatedAt = UtcDateTime(attribute="updated_at")

    def _unique_viewer_count(self, obj):
        return len(obj.unique_viewers or [])

    def _reservation(self, obj):
        if obj.status != "reserved":
            return None
        return {"buyerPartnerId": obj.reserved_by, "reservedAt": iso_utc(obj.reserved_at),
                "expiresAt": iso_utc(obj.reservation_expires_at)}

    def _sale(self, obj):
        if obj.status != "sold":
            return None
        return {"buyerPartnerId": obj.buyer, "soldAt": iso_utc(obj.sold_at), "price": obj.sold_price}


MyListingPageSchema = page_schema(MyListingSchema, "MyListingPageSchema")


class MyListingsArgsSchema(PageArgsSchema):
    status = ma.fields.String(validate=validate.OneOf(LISTING_STATUSES), metadata={"description": "Only listings in this status"})
