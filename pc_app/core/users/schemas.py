"""User schemas: what the API shows of a user (never hashes or tokens) and invitations."""
import marshmallow as ma
from marshmallow import validate

from ...api import ObjectIdString, Schema, UtcDateTime
from ...pages import PageArgsSchema, page_schema
from .. import vocabulary as v
from ..fields import LowerEmail


class UserSchema(Schema):
    id = ObjectIdString(dump_only=True)
    email = ma.fields.String()
    name = ma.fields.String()
    role = ma.fields.String()
    partnerId = ObjectIdString(attribute="partner", allow_none=True)
    isPartnerOwner = ma.fields.Boolean(attribute="is_partner_owner")
    isActive = ma.fields.Boolean(attribute="is_active")
    hasPassword = ma.fields.Method("_has_password")
    lastSignInAt = UtcDateTime(attribute="last_sign_in_at", allow_none=True)
    createdAt = UtcDateTime(attribute="created_at")
    updatedAt = UtcDateTime(attribute="updated_at")

    def _has_password(self, user):
        return bool(user.password_hash)


class UserInviteSchema(Schema):
    email = LowerEmail(required=True, validate=validate.Length(max=254))
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    partnerId = ma.fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^[0-9a-f]{24}$"))
    isPartnerOwner = ma.fields.Boolean(load_default=False)
    role = ma.fields.String(load_default="user", validate=validate.OneOf(v.ROLES))


class UserStatusSchema(Schema):
    isActive = ma.fields.Boolean(required=True)


class UserQueryArgsSchema(PageArgsSchema):
    partnerId = ma.fields.String(validate=validate.Regexp(r"^[0-9a-f]{24}$"))
    role = ma.fields.String(validate=validate.OneOf(v.ROLES))
    isActive = ma.fields.Boolean()
    q = ma.fields.String(validate=validate.Length(max=100))


UserPageSchema = page_schema(UserSchema, "UserPageSchema")
