"""The HubSpot connection of a partner: portal, encrypted tokens, health, pipeline and stage mapping."""
from __future__ import annotations

from mongoengine import DictField, IntField, StringField

from pc_app.toolkit import DateTimeField, RefField, TimestampedDocument, ValueListField

CONNECTION_STATUSES = ("healthy", "refresh_failed", "revoked", "disconnected")


class HubSpotConnection(TimestampedDocument):
    """One per partner. ``hub_id`` is unset when the partner disconnects, which frees the portal
    for another partner (a sparse unique index, since partial indexes are not portable)."""
    meta = {"collection": "hubspot_connections", "indexes": [
        {"fields": ["partner"], "unique": True},
        {"fields": ["hub_id"], "unique": True, "sparse": True},
        ("status", "expires_at"),
    ]}

    partner = RefField(required=True)
    hub_id = IntField(null=True)
    last_hub_id = IntField(null=True)
    scopes = ValueListField(StringField(), default=list)
    # Sealed by pc_app.crypto with the connection id and field name as associated data.
    access_token_enc = StringField(null=True)
    refresh_token_enc = StringField(null=True)
    expires_at = DateTimeField(null=True)
    status = StringField(choices=CONNECTION_STATUSES, default="healthy", required=True)
    status_reason = StringField(null=True, max_length=200)
    refresh_failures = IntField(default=0)
    pipeline_id = StringField(null=True)
    stage_mapping = DictField(default=dict)
    connected_by = StringField(null=True)
    connected_at = DateTimeField(null=True)
    last_refreshed_at = DateTimeField(null=True)
    last_synced_at = DateTimeField(null=True)
    disconnected_at = DateTimeField(null=True)

    def token_context(self, field: str) -> str:
        return f"hubspot_connections:{self.id}:{field}"
