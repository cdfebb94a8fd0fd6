"""The activity plugin's collections: activities, preferences and e-mail opt-outs, webhook endpoints and deliveries."""
from __future__ import annotations

from mongoengine import BooleanField, DictField, IntField, ListField, StringField

from pc_app.toolkit import BaseDocument, DateTimeField, RefField, ValueListField, count_writes_by_owner, utcnow

class Activity(BaseDocument):
    """One event as one partner sees it: type, sentence, actor, subjects, payload and who has read it.

    ``created_ms`` (insert time, epoch ms) with the id is the feed's order and the cursor; it is
    never changed by a later ``$set``, so it sorts and compares the same on every server.
    ``read_by`` holds user ids and exists from insert (``$addToSet`` needs the array).
    The TTL index on ``created_at`` is not declared here: its lifetime is a setting, and an index
    declared with one lifetime would clash with the same index at another on the next
    ``db-init``; the retention job creates it and keeps it in line (``services/retention.py``).
    """
    meta = {"collection": "activity_activities", "indexes": [
        ("partner", "-created_ms"),
        ("partner", "type", "-created_ms"),
        "created_ms",
    ]}

    partner = RefField(required=True)
    type = StringField(required=True)
    sentence = StringField(required=True)
    icon = StringField(default="bell")
    audience = StringField(choices=("members", "owners"), default="members")
    actor = StringField(null=True)
    actor_name = StringField(null=True)
    subjects = ListField(DictField(), default=list)
    data = DictField(default=dict)
    event_id = StringField(required=True)
    occurred_at = DateTimeField(required=True)
    created_at = DateTimeField(default=utcnow, required=True)
    created_ms = IntField(required=True)
    read_by = ValueListField(StringField(), default=list)


# A partner's unread count is kept until a write that may reach that partner's activities: every
# event stores activities for the partners it concerns, and must not end everyone else's count.
count_writes_by_owner(Activity._meta["collection"], "partner")


class ActivityPreferences(BaseDocument):
    """A partner's channel choices: ``channels["<plugin>:<event>"] = {in_app, email, webhook}`` over the defaults.

    Event names are stored with ':' for '.', so that one dotted ``$set`` changes one channel of one
    type atomically and concurrent changes of different channels never overwrite each other.
    """
    meta = {"collection": "activity_preferences", "indexes": [{"fields": ["partner"], "unique": True}]}

    partner = RefField(required=True)
    channels = DictField(default=dict)
    updated_at = DateTimeField(default=utcnow)


class EmailOptOut(BaseDocument):
    """A user turned one type's e-mail off through the unsubscribe link (per person, no sign-in)."""
    meta = {"collection": "activity_email_opt_outs", "indexes": [{"fields": ["user", "type"], "unique": True}]}

    user = RefField(required=True)
    partner = RefField(null=True)
    type = StringField(required=True)
    created_at = DateTimeField(default=utcnow)


class WebhookEndpoint(BaseDocument):
    """A partner's receiver: URL, event types, the encrypted signing secret(s), and whether it still gets events.

    During a rotation the previous secret stays valid until ``previous_secret_until_ms`` and
    deliveries carry both signatures.
    """
    meta = {"collection": "activity_webhook_endpoints", "indexes": [("partner", "created_ms")]}

    partner = RefField(required=True)
    url = StringField(required=True, max_length=2048)
    description = StringField(max_length=200, default="")
    event_types = ValueListField(StringField(), default=list)
    secret = StringField(required=True)          # sealed by the core's SecretBox
    previous_secret = StringField(null=True)     # sealed; valid until previous_secret_until_ms
    previous_secret_until_ms = IntField(null=True)
    status = StringField(choices=("active", "disabled"), default="active")
    disabled_reason = StringField(null=True)
    disabled_at = DateTimeField(null=True)
    created_by = StringField(null=True)
    created_at = DateTimeField(default=utcnow)
    created_ms = IntField(required=True)


class WebhookDelivery(BaseDocument):
    """One event (or ping) sent to one endpoint: the exact body, attempts, outcome and next retry.

    ``dedupe_key`` (``<endpoint>:<event>``, sparse unique) makes the fan-out idempotent under
    at-least-once event delivery; pings and redeliveries have none. Attempts are claimed with a
    conditional update on ``attempts`` so two workers never send one attempt twice.
    """
    meta = {"collection": "activity_webhook_deliveries", "indexes": [
        {"fields": ["dedupe_key"], "unique": True, "sparse": True},
        ("endpoint", "-created_ms"),
        ("status", "next_attempt_ms"),
    ]}

    endpoint = RefField(required=True)
    partner = RefField(required=True)
    dedupe_key = StringField()
    event_id = StringField(required=True)
    event_type = StringField(required=True)
    body = StringField(required=True)
    status = StringField(choices=("pending", "sending", "succeeded", "failed"), default="pending")
    attempts = IntField(default=0)
    next_attempt_ms = IntField(null=True)
    lease_ms = IntField(null=True)
    first_attempt_ms = IntField(null=True)
    response_code = IntField(null=True)
    response_body = StringField(null=True)
    latency_ms = IntField(null=True)
    error = StringField(null=True)
    redelivery_of = StringField(null=True)
    is_ping = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)
    created_ms = IntField(required=True)
    completed_at = DateTimeField(null=True)


# An endpoint's delivery list, likewise: another partner's deliveries (every event, every attempt) leave it.
count_writes_by_owner(WebhookDelivery._meta["collection"], "partner")
