"""Partner and ICP schemas: validation of PRODUCT.md §3 and the JSON the API returns."""
import marshmallow as ma
from marshmallow import validate

from ...api import ObjectIdString, Schema, UtcDateTime
from ...pages import PageArgsSchema, page_schema
from .. import vocabulary as v
from ..fields import PhoneNumber


def _unique(values):
    if len(set(values)) != len(values):
        raise ma.ValidationError("Values must not repeat.")


def _country(value):
    if value not in v.COUNTRIES:
        raise ma.ValidationError(f"'{value}' is not an ISO 3166-1 alpha-2 country code.")


class ICPSchema(Schema):
    industries = ma.fields.List(ma.fields.String(validate=validate.OneOf(v.INDUSTRIES)), load_default=list,
                                validate=[validate.Length(max=len(v.INDUSTRIES)), _unique])
    companySizes = ma.fields.List(ma.fields.String(validate=validate.OneOf(v.COMPANY_SIZES)),
                                  attribute="company_sizes", load_default=list, validate=_unique)
    countries = ma.fields.List(ma.fields.String(validate=_country), load_default=list,
                               validate=[validate.Length(max=250), _unique])
    jobTitles = ma.fields.List(ma.fields.String(validate=validate.Length(min=2, max=80)), attribute="job_titles",
                               load_default=list, validate=[validate.Length(max=50), _unique])
    seniorities = ma.fields.List(ma.fields.String(validate=validate.OneOf(v.SENIORITIES)), load_default=list,
                                 validate=_unique)
    maxPrice = ma.fields.Integer(attribute="max_price", allow_none=True, load_default=None,
                                 validate=validate.Range(min=0, max=100_000_000))

    @ma.pre_load
    def _normalise(self, data, **kwargs):
        if isinstance(data, dict):
            data = dict(data)
            if isinstance(data.get("countries"), list):
                data["countries"] = [c.upper() if isinstance(c, str) else c for c in data["countries"]]
            if isinstance(data.get("jobTitles"), list):
                data["jobTitles"] = [t.strip().lower() if isinstance(t, str) else t for t in data["jobTitles"]]
        return data


class PartnerSchema(Schema):
    id = ObjectIdString(dump_only=True)
    name = ma.fields.String()
    slug = ma.fields.String()
    website = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    statusReason = ma.fields.String(attribute="status_reason", allow_none=True)
    isPlatform = ma.fields.Boolean(attribute="is_platform")
    icp = ma.fields.Nested(ICPSchema)
    createdAt = UtcDateTime(attribute="created_at")
    updatedAt = UtcDateTime(attribute="updated_at")
    activatedAt = UtcDateTime(attribute="activated_at", allow_none=True)


class PartnerCreateSchema(Schema):
    name = ma.fields.String(required=True, validate=validate.Length(min=2, max=200))
    website = ma.fields.Url(load_default=None, allow_none=True, validate=validate.Length(max=300))
    phone = PhoneNumber(load_default=None, allow_none=True)
    isPlatform = ma.fields.Boolean(load_default=False)
    icp = ma.fields.Nested(ICPSchema, load_default=None, allow_none=True)


class PartnerPatchSchema(Schema):
    name = ma.fields.String(validate=validate.Length(min=2, max=200))
    website = ma.fields.Url(allow_none=True, validate=validate.Length(max=300))
    phone = PhoneNumber(allow_none=True)
    icp = ma.fields.Nested(ICPSchema)


class PartnerQueryArgsSchema(PageArgsSchema):
    status = ma.fields.String(validate=validate.OneOf(v.PARTNER_STATUSES))
    q = ma.fields.String(validate=validate.Length(max=100))


PartnerPageSchema = page_schema(PartnerSchema, "PartnerPageSchema")
