"""The lead_tags collection: one document per (lead, tag)."""
from mongoengine import StringField

from pc_app.toolkit import RefField, TimestampedDocument


class LeadTag(TimestampedDocument):
    meta = {"collection": "lead_tags_tags", "indexes": [{"fields": ["lead", "tag"], "unique": True}, "partner"]}

    partner = RefField(required=True)
    lead = RefField(required=True)
    tag = StringField(required=True, max_length=40)
