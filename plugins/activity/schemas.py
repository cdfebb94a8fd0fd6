"""Schemas of the activity plugin: feed, mark-read, stream ticket, preferences, unsubscribe, webhooks."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from pc_app.toolkit import Boolean, Integer, PageArgsSchema, ResponseSchema, Schema, UtcDateTime, beyond_schema, page_schema

from .activity_types import AUDIENCES, CHANNELS

DELIVERY_STATUSES = ("pending", "sending", "retrying", "succeeded", "failed")


class ActivityArgsSchema(Schema):
    cursor = ma.fields.String(validate=validate.Length(min=1, max=200),
                              metadata=beyond_schema("a cursor this API handed out",
                                                     {"description": "nextCursor of the previous page"}))
    limit = Integer(min=1, max=100, load_default=25, metadata={"description": "Activities per page"})
    unreadOnly = Boolean(load_default=False, metadata={"description": "Only those you have not marked read"})
    type = ma.fields.List(ma.fields.String(validate=validate.Length(min=3, max=100)),
                          metadata={"description": "event types to keep (repeatable)"})
    since = UtcDateTime(metadata={"description": "only activities created at or after this time"})


class ActorSchema(ResponseSchema):
    type = ma.fields.String(metadata={"description": "user (one of your partner's users), partner (a user of "
                                                     "another partner, not named), system, hubspot or stripe"})
    id = ma.fields.String(allow_none=True, metadata={"description": "the user's id; null unless type is user"})
    name = ma.fields.String(allow_none=True, metadata={"description": "who did it; null for partner"})


class SubjectSchema(ResponseSchema):
    type = ma.fields.String(metadata={"description": "lead, listing, purchase…"})
    id = ma.fields.String()


class ActivitySchema(ResponseSchema):
    id = ma.fields.String()
    type = ma.fields.String(metadata={"description": "the event type, e.g. marketplace.lead_listed"})
    sentence = ma.fields.String()
    icon = ma.fields.String()
    audience = ma.fields.String(validate=validate.OneOf(AUDIENCES),
                                metadata={"description": "Who sees it: every member, or the owners only"})
    actor = ma.fields.Nested(ActorSchema, allow_none=True)
    subjects = ma.fields.List(ma.fields.Nested(SubjectSchema))
    data = ma.fields.Dict(metadata={"description": "the event's payload"})
    eventId = ma.fields.String()
    occurredAt = UtcDateTime()
    createdAt = UtcDateTime()
    read = ma.fields.Boolean()
    cursor = ma.fields.String(metadata={"description": "this activity's position (the stream's event id)"})


UNREAD_COUNT = {"description": "Unread activities you may see, counted up to ACTIVITY_UNREAD_COUNT_CAP (99)"}
UNREAD_COUNT_CAPPED = {"description": "True when more are unread than were counted: show the badge as '99+'"}


class ActivityPageSchema(ResponseSchema):
    items = ma.fields.List(ma.fields.Nested(ActivitySchema))
    nextCursor = ma.fields.String(allow_none=True, metadata={"description": "Pass as cursor for the next page; "
                                                                            "null on the last"})
    unreadCount = ma.fields.Integer(metadata=UNREAD_COUNT)
    unreadCountCapped = ma.fields.Boolean(metadata=UNREAD_COUNT_CAPPED)


# Example for the OpenAPI document (tests/e2e/test_openapi_contract.py checks it against the schema).
ACTIVITY_PAGE_EXAMPLE = {"items": [{
    "id": "6b0b53a1c2d4e5f601234567", "type": "payments.purchase_succeeded",
    "sentence": "Jane Doe bought a lead for $50.00; it is now in your leads.", "icon": "credit-card",
    "audience": "owners", "actor": {"type": "user", "id": "6b0b5344195d341506b38cad", "name": "Jane Doe"},
    "subjects": [{"type": "purchase", "id": "6b0b5344195d341506b38cb6"},
                 {"type": "listing", "id": "6b0b5344195d341506b38cb2"},
                 {"type": "lead", "id": "6b0b5344195d341506b38cb0"}],
    "data": {"purchaseId": "6b0b5344195d341506b38cb6", "amount": 5000, "currency": "usd"},
    "eventId": "evt_6b0b53a1c2d4e5f6", "occurredAt": "2026-11-28T22:18:44.905+00:00",
    "createdAt": "2026-11-28T22:18:45.012+00:00", "read": False, "cursor": "MTc5NTkwNDMyNTAxMjo2YjBiNTNhMQ"}],
    "nextCursor": None, "unreadCount": 1, "unreadCountCapped": False}


class MarkReadSchema(Schema):
    ids = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=64)),
                         validate=validate.Length(min=1, max=500),
                         metadata=beyond_schema("either ids or all: true, not both"))
    all = Boolean()

    @ma.validates_schema
    def _one_of(self, data, **_kwargs):
        if bool(data.get("ids")) == bool(data.get("all")):
            raise ma.ValidationError("Give either ids or all: true.", "ids")


class MarkReadResultSchema(ResponseSchema):
    marked = ma.fields.Integer()
    unreadCount = ma.fields.Integer(metadata=UNREAD_COUNT)
    unreadCountCapped = ma.fields.Boolean(metadata=UNREAD_COUNT_CAPPED)


class StreamArgsSchema(Schema):
    ticket = ma.fields.String(validate=validate.Length(min=1, max=200),
                              metadata={"description": "single-use ticket from POST /v1/activities/stream-ticket "
                                                       "(for EventSource, which cannot send headers)"})


class StreamTicketSchema(ResponseSchema):
    ticket = ma.fields.String()
    expiresIn = ma.fields.Integer(metadata={"description": "seconds"})


ChannelMap = ma.fields.Dict(keys=ma.fields.String(validate=validate.OneOf(CHANNELS)), values=ma.fields.Boolean())


class TypePreferenceSchema(ResponseSchema):
    type = ma.fields.String()
    description = ma.fields.String()
    audience = ma.fields.String(validate=validate.OneOf(AUDIENCES))
    defaults = ma.fields.Dict(keys=ma.fields.String(validate=validate.OneOf(CHANNELS)), values=ma.fields.Boolean(),
                              metadata={"description": "Channel -> on by default"})
    channels = ma.fields.Dict(keys=ma.fields.String(validate=validate.OneOf(CHANNELS)), values=ma.fields.Boolean(),
                              metadata={"description": "Channel -> on for this partner"})


class PreferencesSchema(ResponseSchema):
    partnerId = ma.fields.String()
    channels = ma.fields.List(ma.fields.String(validate=validate.OneOf(CHANNELS)))
    types = ma.fields.List(ma.fields.Nested(TypePreferenceSchema))


class PreferencesPatchSchema(Schema):
    types = ma.fields.Dict(keys=ma.fields.String(validate=validate.Length(min=1, max=100)),
                           values=ma.fields.Dict(), required=True,
                           metadata=beyond_schema("at least one event type the catalog declares, each with known "
                                                  "channels set to true or false", {
                               "description": "{\"<event type>\": {\"in_app\"|\"email\"|\"webhook\": bool}}"}))


class UnsubscribeArgsSchema(Schema):
    token = ma.fields.String(required=True, validate=validate.Length(min=1, max=500),
                             metadata=beyond_schema("an unsubscribe link we sent", {
                                 "description": "The token of the unsubscribe link"}))


class UnsubscribeSchema(ResponseSchema):
    type = ma.fields.String()
    description = ma.fields.String()
    email = ma.fields.String(allow_none=True)
    unsubscribed = ma.fields.Boolean()


class WebhookCreateSchema(Schema):
    url = ma.fields.String(required=True, validate=validate.Length(min=1, max=2048),
                           metadata=beyond_schema("an https URL whose host is a public address"))
    eventTypes = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=100)), required=True,
                                validate=validate.Length(min=1, max=100),
                                metadata=beyond_schema("event types the catalog declares", {
                                    "description": "event types to receive, or [\"*\"] for all"}))
    description = ma.fields.String(load_default="", validate=validate.Length(max=200))


class WebhookEndpointSchema(ResponseSchema):
    id = ma.fields.String()
    url = ma.fields.String()
    description = ma.fields.String()
    eventTypes = ma.fields.List(ma.fields.String())
    status = ma.fields.String(validate=validate.OneOf(("active", "disabled")))
    disabledReason = ma.fields.String(allow_none=True)
    disabledAt = UtcDateTime(allow_none=True)
    previousSecretValidUntil = UtcDateTime(allow_none=True,
                                           metadata={"description": "while a rotated secret still signs"})
    createdAt = UtcDateTime()


class WebhookEndpointWithSecretSchema(WebhookEndpointSchema):
    secret = ma.fields.String(metadata={"description": "the signing secret: shown only now"})


WebhookEndpointPageSchema = page_schema(WebhookEndpointSchema, "WebhookEndpointPageSchema")


class WebhookDeliverySchema(ResponseSchema):
    id = ma.fields.String()
    endpointId = ma.fields.String()
    eventId = ma.fields.String()
    type = ma.fields.String()
    status = ma.fields.String(validate=validate.OneOf(DELIVERY_STATUSES))
    attempts = ma.fields.Integer()
    responseCode = ma.fields.Integer(allow_none=True)
    latencyMs = ma.fields.Integer(allow_none=True)
    responseBody = ma.fields.String(allow_none=True, metadata={"description": "the first 1,024 characters"})
    error = ma.fields.String(allow_none=True)
    nextRetryAt = UtcDateTime(allow_none=True)
    redeliveryOf = ma.fields.String(allow_none=True)
    createdAt = UtcDateTime(allow_none=True)
    completedAt = UtcDateTime(allow_none=True)


WebhookDeliveryPageSchema = page_schema(WebhookDeliverySchema, "WebhookDeliveryPageSchema")


class DeliveryArgsSchema(PageArgsSchema):
    pass
