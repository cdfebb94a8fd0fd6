"""Request and response schemas of the HubSpot integration routes."""
import marshmallow as ma

from pc_app.toolkit import Schema, UtcDateTime, beyond_schema


class AuthorizeQueryArgsSchema(Schema):
    partnerId = ma.fields.String(required=True)


class AuthorizationUrlSchema(Schema):
    authorizationUrl = ma.fields.String()


class CallbackQueryArgsSchema(Schema):
    """What HubSpot sends back; anything else is ignored (the callback always redirects)."""

    class Meta:
        unknown = ma.EXCLUDE

    code = ma.fields.String()
    state = ma.fields.String()
    error = ma.fields.String()
    error_description = ma.fields.String()


class ConnectionStatusSchema(Schema):
    connected = ma.fields.Boolean()
    status = ma.fields.String(allow_none=True, metadata={
        "description": "healthy | refresh_failed | revoked | disconnected, or null when never connected"})
    hubId = ma.fields.Integer(allow_none=True)
    scopes = ma.fields.List(ma.fields.String())
    pipelineId = ma.fields.String(allow_none=True)
    stageMapping = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(allow_none=True))
    expiresAt = UtcDateTime(allow_none=True)
    lastRefreshedAt = UtcDateTime(allow_none=True)
    lastSyncedAt = UtcDateTime(allow_none=True)


class DisconnectedSchema(ConnectionStatusSchema):
    revokedAtHubSpot = ma.fields.Boolean()


class PipelineSchema(Schema):
    pipelineId = ma.fields.String()
    stageMapping = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(allow_none=True))
    created = ma.fields.Boolean()


class PipelineFailedSchema(Schema):
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


class WebhookAnswerSchema(Schema):
    received = ma.fields.Integer()
    accepted = ma.fields.Integer()
    duplicates = ma.fields.Integer()
    withoutEventId = ma.fields.Integer(metadata={"description": "Events without a usable eventId: not handed on, "
                                                                "logged"})
