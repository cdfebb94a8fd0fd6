"""Lead schemas: validation of a lead's fields, the JSON returned, list filters."""
import marshmallow as ma
from marshmallow import validate

from ...api import ObjectIdString, ResponseSchema, Schema, UtcDateTime
from ...pages import PageArgsSchema, page_schema
from .. import vocabulary as v
from ..fields import Boolean, CountryCode, Integer, LowerEmail, Name, PhoneNumber


class NoteSchema(ResponseSchema):
    text = ma.fields.String()
    author = ma.fields.String(metadata={"description": "Who wrote it (a user id, or system)"})
    at = UtcDateTime()


class NoteCreateSchema(Schema):
    text = ma.fields.String(required=True, validate=validate.Length(min=1, max=5000))


class LeadSchema(ResponseSchema):
    id = ObjectIdString(dump_only=True)
    partnerId = ObjectIdString(attribute="partner")
    firstName = ma.fields.String(attribute="first_name")
    lastName = ma.fields.String(attribute="last_name")
    email = ma.fields.String()
    phone = ma.fields.String(allow_none=True)
    company = ma.fields.String(allow_none=True)
    companyDomain = ma.fields.String(attribute="company_domain", allow_none=True)
    jobTitle = ma.fields.String(attribute="job_title", allow_none=True)
    seniority = ma.fields.String(allow_none=True, validate=validate.OneOf(v.SENIORITIES))
    industry = ma.fields.String(allow_none=True, validate=validate.OneOf(v.INDUSTRIES))
    companySize = ma.fields.String(attribute="company_size", allow_none=True, validate=validate.OneOf(v.COMPANY_SIZES))
    country = ma.fields.String(allow_none=True, metadata={"description": "ISO 3166-1 alpha-2 code"})
    dealAmount = ma.fields.Integer(attribute="deal_amount", metadata={"description": "In cents"})
    currency = ma.fields.String(validate=validate.OneOf(v.CURRENCIES))
    dealStatus = ma.fields.String(attribute="deal_status", validate=validate.OneOf(v.DEAL_STATUSES))
    notes = ma.fields.List(ma.fields.Nested(NoteSchema))
    source = ma.fields.String()
    sourceRef = ma.fields.String(attribute="source_ref", allow_none=True,
                                 metadata={"description": "e.g. purchase:<id> for a lead bought on the marketplace"})
    readOnly = ma.fields.Function(lambda lead: bool(getattr(lead, "read_only_reason", None)),
                                  metadata={"type": "boolean",
                                            "description": "True once sold on the marketplace: kept, not changeable"})
    readOnlyReason = ma.fields.String(attribute="read_only_reason", allow_none=True)
    updatedBy = ma.fields.String(attribute="updated_by")
    createdAt = UtcDateTime(attribute="created_at")
    updatedAt = UtcDateTime(attribute="updated_at")


class LeadWriteSchema(Schema):
    """Fields a partner may set on its lead (create: firstName and email required)."""
    firstName = Name(attribute="first_name", required=True, max=100)
    lastName = Name(attribute="last_name", load_default="", allow_empty=True, max=100)
    email = LowerEmail(required=True, validate=validate.Length(max=254))
    phone = PhoneNumber(allow_none=True)
    company = Name(allow_none=True, allow_empty=True, max=200)
    companyDomain = ma.fields.String(attribute="company_domain", allow_none=True,
                                     validate=validate.Regexp(r"^$|^(?=.{1,253}$)([A-Za-z0-9-]+\.)+[A-Za-z]{2,}$",
                                                              error="Not a domain name like example.com."))
    jobTitle = ma.fields.String(attribute="job_title", allow_none=True, validate=validate.Length(max=150))
    seniority = ma.fields.String(allow_none=True, validate=validate.OneOf(v.SENIORITIES))
    industry = ma.fields.String(allow_none=True, validate=validate.OneOf(v.INDUSTRIES))
    companySize = ma.fields.String(attribute="company_size", allow_none=True,
                                   validate=validate.OneOf(v.COMPANY_SIZES))
    country = CountryCode(allow_none=True, allow_blank=True)
    dealAmount = Integer(attribute="deal_amount", min=0, max=10_000_000_000)
    currency = ma.fields.String(validate=validate.OneOf(v.CURRENCIES))
    dealStatus = ma.fields.String(attribute="deal_status", validate=validate.OneOf(v.DEAL_STATUSES))
    source = ma.fields.String(validate=validate.Length(max=100))

    @ma.post_load
    def _normalise(self, data, **kwargs):
        if isinstance(data.get("company_domain"), str):
            data["company_domain"] = data["company_domain"].lower() or None
        return data


class LeadQueryArgsSchema(PageArgsSchema):
    partnerId = ma.fields.String(validate=validate.Regexp(r"^[0-9a-f]{24}$", error="Not a partner id."),
                                 metadata={"description": "Platform staff: one partner's leads (a partner user: its own; "
                                                          "another partner's answers 404)"})
    dealStatus = ma.fields.List(ma.fields.String(validate=validate.OneOf(v.DEAL_STATUSES)),
                                metadata={"description": "Only these deal statuses (repeatable)"})
    industry = ma.fields.List(ma.fields.String(validate=validate.OneOf(v.INDUSTRIES)),
                              metadata={"description": "Only these industries (repeatable)"})
    companySize = ma.fields.List(ma.fields.String(validate=validate.OneOf(v.COMPANY_SIZES)),
                                 metadata={"description": "Only these company sizes (repeatable)"})
    seniority = ma.fields.List(ma.fields.String(validate=validate.OneOf(v.SENIORITIES)),
                               metadata={"description": "Only these seniorities (repeatable)"})
    country = ma.fields.List(CountryCode(), metadata={"description": "Only these countries, ISO 3166-1 alpha-2 "
                                                                     "(repeatable)"})
    source = ma.fields.String(validate=validate.Length(max=100),
                              metadata={"description": "Only leads from this source (manual, csv_import, hubspot...)"})
    readOnly = Boolean(metadata={"description": "true: only the read-only leads (sold on the "
                                                          "marketplace), which the default list leaves out"})
    q = ma.fields.String(validate=validate.Length(min=1, max=100),
                         metadata={"description": "Text in name, e-mail or company"})
    minDealAmount = Integer(min=0, max=10_000_000_000, metadata={"description": "Lowest deal amount, in cents"})
    maxDealAmount = Integer(min=0, max=10_000_000_000, metadata={"description": "Highest deal amount, in cents"})
    createdFrom = ma.fields.AwareDateTime(default_timezone=__import__("datetime").timezone.utc,
                                          metadata={"description": "Created at or after (ISO 8601; UTC if no offset)"})
    createdTo = ma.fields.AwareDateTime(default_timezone=__import__("datetime").timezone.utc,
                                        metadata={"description": "Created at or before (ISO 8601; UTC if no offset)"})
    sort = ma.fields.String(load_default="-createdAt", validate=validate.OneOf(
        ["createdAt", "-createdAt", "updatedAt", "-updatedAt", "dealAmount", "-dealAmount", "lastName",
         "-lastName", "company", "-company"]), metadata={"description": "Field to sort by; a leading - for "
                                                                       "descending"})


LeadPageSchema = page_schema(LeadSchema, "LeadPageSchema")

# Examples for the OpenAPI document (tests/e2e/test_openapi_contract.py checks them against the schemas).
LEAD_WRITE_EXAMPLE = {
    "firstName": "Ada", "lastName": "Lovelace", "email": "ada@analytical.example", "phone": "+442071838750",
    "company": "Analytical Engines Ltd", "companyDomain": "analytical.example", "jobTitle": "Head of Engineering",
    "seniority": "director", "industry": "saas", "companySize": "51-200", "country": "GB", "dealAmount": 1200000,
    "currency": "usd", "dealStatus": "new"}
LEAD_EXAMPLE = {
    "id": "6b0b5344195d341506b38cb0", "partnerId": "6b0b5344195d341506b38caa", **LEAD_WRITE_EXAMPLE, "notes": [],
    "source": "manual", "sourceRef": None, "readOnly": False, "readOnlyReason": None,
    "updatedBy": "user:6b0b5344195d341506b38cab", "createdAt": "2026-11-28T22:18:44.835+00:00",
    "updatedAt": "2026-11-28T22:18:44.835+00:00"}
LEAD_PAGE_EXAMPLE = {"items": [LEAD_EXAMPLE], "total": 1, "totalCapped": False, "page": 1, "perPage": 25,
                     "pages": 1}

IMPORT_STATUSES = ("queued", "running", "completed", "failed")


class ImportRowErrorSchema(ResponseSchema):
    row = ma.fields.Integer(metadata={"description": "Row number as a spreadsheet shows it (header = 1)"})
    errors = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()))


class ImportResultSchema(ResponseSchema):
    imported = ma.fields.Integer()
    failed = ma.fields.Integer()
    errors = ma.fields.List(ma.fields.Nested(ImportRowErrorSchema))
    errorsTruncated = ma.fields.Boolean(metadata={"description": "Only the first 1000 failed rows are listed"})


class ImportQueuedSchema(ResponseSchema):
    importId = ma.fields.String()
    status = ma.fields.String(validate=validate.OneOf(IMPORT_STATUSES))
    totalRows = ma.fields.Integer()


class LeadImportSchema(ResponseSchema):
    id = ObjectIdString(dump_only=True)
    status = ma.fields.String(validate=validate.OneOf(IMPORT_STATUSES))
    totalRows = ma.fields.Integer(attribute="total_rows")
    processedRows = ma.fields.Integer(attribute="processed_rows")
    percent = ma.fields.Method("_percent", metadata={"type": "integer", "description": "0-100"})
    imported = ma.fields.Integer()
    failed = ma.fields.Integer()
    errors = ma.fields.List(ma.fields.Nested(ImportRowErrorSchema))
    errorsTruncated = ma.fields.Boolean(attribute="errors_truncated")
    failureReason = ma.fields.String(attribute="failure_reason", allow_none=True)
    createdAt = UtcDateTime(attribute="created_at")
    startedAt = UtcDateTime(attribute="started_at", allow_none=True)
    finishedAt = UtcDateTime(attribute="finished_at", allow_none=True)

    def _percent(self, record):
        if record.status == "completed" or not record.total_rows:
            return 100 if record.status == "completed" else 0
        return int(100 * record.processed_rows / record.total_rows)
