"""Partner and ICP schemas: validation of PRODUCT.md §3 and the JSON the API returns."""
import marshmallow as ma
from marshmallow import validate

from ...api import ObjectIdString, ResponseSchema, Schema, UtcDateTime
from ...pages import PageArgsSchema, page_schema
from .. import vocabulary as v
from ..fields import Boolean, CountryCode, Integer, Name, PhoneNumber, UniqueList, Website


class JobTitleKeyword(Name):
    """A job-title keyword of an ICP, matched case-blind: stored trimmed and lower-case."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).lower()


class ICPSchema(Schema):
    industries = UniqueList(ma.fields.String(validate=validate.OneOf(v.INDUSTRIES)), load_default=list,
                            max_items=len(v.INDUSTRIES))
    companySizes = UniqueList(ma.fields.String(validate=validate.OneOf(v.COMPANY_SIZES)),
                              attribute="company_sizes", load_default=list)
    countries = UniqueList(CountryCode(), load_default=list, max_items=250)
    jobTitles = UniqueList(JobTitleKeyword(min=2, max=80), attribute="job_titles", load_default=list, max_items=50)
    seniorities = UniqueList(ma.fields.String(validate=validate.OneOf(v.SENIORITIES)), load_default=list)
    maxPrice = Integer(attribute="max_price", allow_none=True, load_default=None, min=0, max=100_000_000)


class ICPViewSchema(ResponseSchema):
    """The ideal customer profile as the API answers it (``ICPSchema`` is what it takes)."""
    industries = ma.fields.List(ma.fields.String(validate=validate.OneOf(v.INDUSTRIES)))
    companySizes = ma.fields.List(ma.fields.String(validate=validate.OneOf(v.COMPANY_SIZES)), attribute="company_sizes")
    countries = ma.fields.List(ma.fields.String(), metadata={"description": "ISO 3166-1 alpha-2 codes"})
    jobTitles = ma.fields.List(ma.fields.String(), attribute="job_titles",
                               metadata={"description": "Lower-case keywords matched in a lead's job title"})
    seniorities = ma.fields.List(ma.fields.String(validate=validate.OneOf(v.SENIORITIES)))
    maxPrice = ma.fields.Integer(attribute="max_price", allow_none=True,
                                 metadata={"description": "In cents; null: no limit"})


class PartnerSchema(ResponseSchema):
    id = ObjectIdString(dump_only=True)
    name = ma.fields.String()
    slug = ma.fields.String()
    website = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    status = ma.fields.String(validate=validate.OneOf(v.PARTNER_STATUSES))
    statusReason = ma.fields.String(attribute="status_reason", allow_none=True)
    isPlatform = ma.fields.Boolean(attribute="is_platform")
    icp = ma.fields.Nested(ICPViewSchema)
    createdAt = UtcDateTime(attribute="created_at")
    updatedAt = UtcDateTime(attribute="updated_at")
    activatedAt = UtcDateTime(attribute="activated_at", allow_none=True)


class PartnerCreateSchema(Schema):
    name = Name(required=True, min=2, max=200)
    website = Website(load_default=None, allow_none=True)
    phone = PhoneNumber(load_default=None, allow_none=True)
    isPlatform = Boolean(load_default=False)
    icp = ma.fields.Nested(ICPSchema, load_default=None, allow_none=True)


class PartnerPatchSchema(Schema):
    name = Name(min=2, max=200)
    website = Website(allow_none=True)
    phone = PhoneNumber(allow_none=True)
    icp = ma.fields.Nested(ICPSchema)


class PartnerQueryArgsSchema(PageArgsSchema):
    status = ma.fields.String(validate=validate.OneOf(v.PARTNER_STATUSES),
                              metadata={"description": "Only partners in this status"})
    q = ma.fields.String(validate=validate.Length(max=100), metadata={"description": "Text in name or slug"})


PartnerPageSchema = page_schema(PartnerSchema, "PartnerPageSchema")
