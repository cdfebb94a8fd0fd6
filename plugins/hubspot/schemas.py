"""Request and response schemas of the HubSpot integration routes."""
import marshmallow as ma
from marshmallow import validate

from pc_app.toolkit import ResponseSchema, Schema, UtcDateTime, beyond_schema
from pc_app.toolkit import vocabulary as v

from .models import CONNECTION_STATUSES


class AuthorizeQueryArgsSchema(Schema):
    partnerId = ma.fields.String(required=True, metadata={"description": "The partner to connect (yours)"})


class AuthorizationUrlSchema(ResponseSchema):
    authorizationUrl = ma.fields.String(metadata={"description": "Send the browser here: HubSpot's consent page"})


class CallbackQueryArgsSchema(Schema):
    """What HubSpot sends back; anything else is ignored (the callback always redirects)."""

    class Meta:
        unknown = ma.EXCLUDE

    code = ma.fields.String(metadata={"description": "HubSpot's authorization code"})
    state = ma.fields.String(metadata={"description": "The signed state of the authorize step"})
    error = ma.fields.String(metadata={"description": "HubSpot's error code when consent was refused"})
    error_description = ma.fields.String(metadata={"description": "HubSpot's sentence for that error"})


class ConnectionStatusSchema(ResponseSchema):
    connected = ma.fields.Boolean()
    status = ma.fields.String(allow_none=True, validate=validate.OneOf(CONNECTION_STATUSES), metadata={
        "description": "null when never connected"})
    hubId = ma.fields.Integer(allow_none=True)
    scopes = ma.fields.List(ma.fields.String())
    pipelineId = ma.fields.String(allow_none=True)
    stageMapping = ma.fields.Dict(keys=ma.fields.String(validate=validate.OneOf(v.DEAL_STATUSES)),
                                  values=ma.fields.String(allow_none=True),
                                  metadata={"description": "dealStatus -> HubSpot stage id"})
    expiresAt = UtcDateTime(allow_none=True)
    lastRefreshedAt = UtcDateTime(allow_none=True)
    lastSyncedAt = UtcDateTime(allow_none=True)


class DisconnectedSchema(ConnectionStatusSchema):
    revokedAtHubSpot = ma.fields.Boolean()


class PipelineSchema(ResponseSchema):
    OPTIONAL = ("created",)  # only create-pipeline says whether it created one
    pipelineId = ma.fields.String()
    stageMapping = ma.fields.Dict(keys=ma.fields.String(validate=validate.OneOf(v.DEAL_STATUSES)),
                                  values=ma.fields.String(allow_none=True),
                                  metadata={"description": "dealStatus -> HubSpot stage id"})
    created = ma.fields.Boolean(metadata={"description": "create-pipeline: false when it found the pipeline by label"})


class PipelineFailedSchema(ResponseSchema):
    """The 502 body when the pipeline cannot be created: the error shape plus steps to do it by hand."""
    code = ma.fields.Integer()
    status = ma.fields.String()
    message = ma.fields.String()
    errors = ma.fields.Dict()
    manualSteps = ma.fields.List(ma.fields.String())


class StageMappingSchema(Schema):
    pipelineId = ma.fields.String(load_default=None, metadata={"description": "an existing deal pipeline; "
                                                                              "default: the current one"})
    stageMapping = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(), required=True,
                                  metadata=beyond_schema("every dealStatus mapped to a stage of the pipeline",
                                                         {"description": "every dealStatus mapped to a stage id"}))


class WebhookAnswerSchema(ResponseSchema):
    received = ma.fields.Integer()
    accepted = ma.fields.Integer()
    duplicates = ma.fields.Integer()
    withoutEventId = ma.fields.Integer(metadata={"description": "Events without a usable eventId: not handed on, "
                                                                "logged"})
