"""Request and response bodies of self-registration, verification, onboarding and partner status moves."""
import marshmallow as ma
from marshmallow import validate

from pc_app.toolkit import LowerEmail, Name, NewPassword, PhoneNumber, ResponseSchema, Schema, Website, beyond_schema


class RegisterPartnerSchema(Schema):
    companyName = Name(required=True, min=2, max=200,
                       metadata={"description": "The partner's company name; its slug derives from it"})
    name = Name(required=True, max=200,
                metadata={"description": "The contact person, who becomes the partner's owner"})
    email = LowerEmail(required=True, validate=validate.Length(max=254))
    website = Website(load_default=None, allow_none=True)
    phone = PhoneNumber(load_default=None, allow_none=True, metadata={"description": "E.164, e.g. +14155550123"})


REGISTER_PARTNER_EXAMPLE = {"companyName": "Acme Analytics", "name": "Jane Doe", "email": "jane@acme.example",
                            "website": "https://acme.example", "phone": "+14155550123"}
REGISTERED_EXAMPLE = {"message": "Thank you. We have sent an e-mail to this address with the next step."}


class ResendVerificationSchema(Schema):
    email = LowerEmail(required=True, validate=validate.Length(max=254))


class VerifyRegistrationSchema(Schema):
    token = ma.fields.String(required=True, validate=validate.Length(min=1, max=200), metadata=beyond_schema(
        "a verification link we sent, unused and unexpired",
        {"description": "The token from the e-mailed FRONTEND_URL/verify?token=… link"}))
    password = NewPassword(required=True)


class OnboardingStepSchema(ResponseSchema):
    key = ma.fields.String(metadata={"description": "icpConfigured, hubspotConnected, firstLeadListed, "
                                                    "payoutsEnabled… (a disabled plugin's step is absent)"})
    done = ma.fields.Boolean()
    required = ma.fields.Boolean(metadata={"description": "Must be done before the partner can be activated"})


class OnboardingSchema(ResponseSchema):
    steps = ma.fields.List(ma.fields.Nested(OnboardingStepSchema))
    completed = ma.fields.Integer()
    total = ma.fields.Integer()
    percent = ma.fields.Integer(metadata={"description": "round(100 * completed / total)"})
    canActivate = ma.fields.Boolean(metadata={"description": "Onboarding partner with every required step done"})


class SuspendPartnerSchema(Schema):
    reason = Name(required=True, max=500, metadata={"description": "Why; kept as the partner's statusReason"})
