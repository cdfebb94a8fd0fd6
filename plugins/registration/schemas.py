"""Request and response bodies of self-registration, verification, onboarding and partner status moves."""
import marshmallow as ma
from marshmallow import validate

from pc_app.toolkit import LowerEmail, PhoneNumber, Schema


class RegisterPartnerSchema(Schema):
    companyName = ma.fields.String(required=True, validate=validate.Length(min=2, max=200),
                                   metadata={"description": "The partner's company name; its slug derives from it"})
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200),
                            metadata={"description": "The contact person, who becomes the partner's owner"})
    email = LowerEmail(required=True, validate=validate.Length(max=254))
    website = ma.fields.Url(load_default=None, allow_none=True, validate=validate.Length(max=300))
    phone = PhoneNumber(load_default=None, allow_none=True, metadata={"description": "E.164, e.g. +14155550123"})

    @ma.pre_load
    def _strip_names(self, data, **kwargs):
        if isinstance(data, dict):
            data = {key: value.strip() if key in ("companyName", "name") and isinstance(value, str) else value
                    for key, value in data.items()}
        return data


class ResendVerificationSchema(Schema):
    email = LowerEmail(required=True, validate=validate.Length(max=254))


class VerifyRegistrationSchema(Schema):
    token = ma.fields.String(required=True, validate=validate.Length(min=1, max=200),
                             metadata={"description": "The token from the e-mailed FRONTEND_URL/verify?token=… link"})
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=1000))


class OnboardingStepSchema(Schema):
    key = ma.fields.String(metadata={"description": "icpConfigured, hubspotConnected, firstLeadListed, "
                                                    "payoutsEnabled… (a disabled plugin's step is absent)"})
    done = ma.fields.Boolean()
    required = ma.fields.Boolean(metadata={"description": "Must be done before the partner can be activated"})


class OnboardingSchema(Schema):
    steps = ma.fields.List(ma.fields.Nested(OnboardingStepSchema))
    completed = ma.fields.Integer()
    total = ma.fields.Integer()
    percent = ma.fields.Integer(metadata={"description": "round(100 * completed / total)"})
    canActivate = ma.fields.Boolean(metadata={"description": "Onboarding partner with every required step done"})


class SuspendPartnerSchema(Schema):
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=500),
                              metadata={"description": "Why; kept as the partner's statusReason"})

    @ma.validates("reason")
    def _not_blank(self, value, **kwargs):
        if not value.strip():
            raise ma.ValidationError("Give a reason.")
