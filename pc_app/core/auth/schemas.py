"""Request and response bodies of the sign-in, token and password routes."""
import marshmallow as ma
from marshmallow import validate

from ...api import ResponseSchema, Schema
from ..fields import LowerEmail, NewPassword, beyond_schema
from ..partners.schemas import PartnerSchema
from ..users.schemas import UserSchema


class SignInSchema(Schema):
    email = ma.fields.String(required=True, validate=validate.Length(min=3, max=254))
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


class SessionSchema(ResponseSchema):
    accessToken = ma.fields.String()
    refreshToken = ma.fields.String()
    user = ma.fields.Nested(UserSchema)
    partner = ma.fields.Nested(PartnerSchema, allow_none=True)


class RefreshedTokensSchema(ResponseSchema):
    accessToken = ma.fields.String()
    refreshToken = ma.fields.String(metadata={"description": "The session's next refresh token; the one just "
                                                             "presented no longer works"})


SIGN_IN_EXAMPLE = {"email": "jane@acme.example", "password": "correct horse battery staple"}
SESSION_EXAMPLE = {
    "accessToken": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0eXBlIjoiYWNjZXNzIn0.signature",
    "refreshToken": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0eXBlIjoicmVmcmVzaCJ9.signature",
    "user": {"id": "6b0b5344195d341506b38cad", "email": "jane@acme.example", "name": "Jane Doe", "role": "user",
             "partnerId": "6b0b5344195d341506b38cac", "isPartnerOwner": True, "isActive": True,
             "hasPassword": True, "lastSignInAt": "2026-11-27T09:12:03.512+00:00",
             "createdAt": "2026-11-20T15:40:11.204+00:00", "updatedAt": "2026-11-27T09:12:03.512+00:00"},
    "partner": {"id": "6b0b5344195d341506b38cac", "name": "Acme Analytics", "slug": "acme-analytics",
                "website": "https://acme.example", "phone": "+14155550123", "status": "active", "statusReason": None,
                "isPlatform": False,
                "icp": {"industries": ["saas"], "companySizes": ["51-200"], "countries": ["US", "GB"],
                        "jobTitles": ["engineering"], "seniorities": ["director", "vp"], "maxPrice": 10000},
                "createdAt": "2026-11-20T15:40:11.204+00:00", "updatedAt": "2026-11-21T08:02:45.930+00:00",
                "activatedAt": "2026-11-21T08:02:45.930+00:00"}}


class SignOutSchema(Schema):
    refreshToken = ma.fields.String(load_default=None, allow_none=True)


class MeSchema(UserSchema):
    # Documented as a nullable Partner, the way the API writes a nullable nested schema.
    partner = ma.fields.Method("_partner", metadata={"description": "The user's partner, or null", "nullable": True,
                                                     "allOf": [{"$ref": "#/components/schemas/Partner"}]})

    def _partner(self, user):
        from ...auth import current_partner

        partner = current_partner(required=False)
        return _PARTNER.dump(partner) if partner else None


# Built once: a schema works out its dump plan per instance, and /v1/auth/me is the commonest call.
_PARTNER = PartnerSchema()


class ForgotPasswordSchema(Schema):
    email = LowerEmail(required=True, validate=validate.Length(max=254))


class ResetPasswordSchema(Schema):
    token = ma.fields.String(required=True, validate=validate.Length(min=10, max=200),
                             metadata=beyond_schema("a reset or invitation link we sent, unused and unexpired"))
    password = NewPassword(required=True)
