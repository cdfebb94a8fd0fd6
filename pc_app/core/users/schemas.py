"""User schemas: what the API shows of a user (never hashes or tokens) and invitations."""
import marshmallow as ma
from marshmallow import validate

from ...api import ObjectIdString, ResponseSchema, Schema, UtcDateTime
from ...pages import PageArgsSchema, page_schema
from .. import vocabulary as v
from ..fields import Boolean, LowerEmail, Name, beyond_schema


class UserSchema(ResponseSchema):
    id = ObjectIdString(dump_only=True)
    email = ma.fields.String()
    name = ma.fields.String()
    role = ma.fields.String(validate=validate.OneOf(v.ROLES))
    partnerId = ObjectIdString(attribute="partner", allow_none=True)
    isPartnerOwner = ma.fields.Boolean(attribute="is_partner_owner")
    isActive = ma.fields.Boolean(attribute="is_active")
    hasPassword = ma.fields.Method("_has_password", metadata={
        "type": "boolean", "description": "False until the user sets a password (an invitation not yet accepted)"})
    lastSignInAt = UtcDateTime(attribute="last_sign_in_at", allow_none=True)
    createdAt = UtcDateTime(attribute="created_at")
    updatedAt = UtcDateTime(attribute="updated_at")

    def _has_password(self, user):
        return bool(user.password_hash)


class UserInviteSchema(Schema):
    email = LowerEmail(required=True, validate=validate.Length(max=254))
    name = Name(required=True, max=200)
    partnerId = ma.fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^[0-9a-f]{24}$"),
                                 metadata=beyond_schema("required when platform staff invite a user (role user); "
                                                        "a partner owner's invitations go to its own partner"))
    isPartnerOwner = Boolean(load_default=False)
    # There is one platform owner, seeded at start-up: nobody invites another.
    role = ma.fields.String(load_default="user", validate=validate.OneOf([r for r in v.ROLES if r != "owner"]))


class UserStatusSchema(Schema):
    isActive = Boolean(required=True)


class UserQueryArgsSchema(PageArgsSchema):
    partnerId = ma.fields.String(validate=validate.Regexp(r"^[0-9a-f]{24}$"),
                                 metadata={"description": "Platform staff: one partner's users (a partner owner: its own; "
                                                          "another partner's answers 404)"})
    role = ma.fields.String(validate=validate.OneOf(v.ROLES), metadata={"description": "Only users with this role"})
    isActive = Boolean(metadata={"description": "Only active (true) or deactivated (false) users"})
    q = ma.fields.String(validate=validate.Length(max=100), metadata={"description": "Text in name or e-mail"})


UserPageSchema = page_schema(UserSchema, "UserPageSchema")
