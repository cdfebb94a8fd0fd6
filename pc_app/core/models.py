"""The core's documents: partners, users, leads and single-use user tokens."""
from __future__ import annotations

from mongoengine import (BooleanField, DictField, EmailField, EmbeddedDocument, EmbeddedDocumentField, IntField,
                         ListField, StringField)

from ..collection_versions import count_writes_by_owner
from ..db import BaseDocument, DateTimeField, RefField, ValueListField, as_utc, utcnow  # noqa: F401  (time helpers live in db)
from . import vocabulary as v


class TimestampedDocument(BaseDocument):
    """Keeps created_at/updated_at current on save (atomic updates set updated_at themselves)."""
    meta = {"abstract": True}

    created_at = DateTimeField(default=utcnow, required=True)
    updated_at = DateTimeField(default=utcnow, required=True)

    def save(self, *args, **kwargs):
        self.updated_at = utcnow()
        return super().save(*args, **kwargs)


class ICP(EmbeddedDocument):
    """A partner's ideal customer profile; an empty list means 'no constraint'."""
    industries = ValueListField(StringField(choices=v.INDUSTRIES), default=list)
    company_sizes = ValueListField(StringField(choices=v.COMPANY_SIZES), default=list)
    countries = ValueListField(StringField(max_length=2), default=list)
    job_titles = ValueListField(StringField(max_length=80), default=list)
    seniorities = ValueListField(StringField(choices=v.SENIORITIES), default=list)
    max_price = IntField(min_value=0, null=True)

    def is_configured(self) -> bool:
        return any([self.industries, self.company_sizes, self.countries, self.job_titles, self.seniorities])


class Partner(TimestampedDocument):
    meta = {"collection": "partners", "indexes": [
        {"fields": ["slug"], "unique": True},
        "status", "-created_at", "is_platform",
    ]}

    name = StringField(required=True, max_length=200)
    slug = StringField(required=True, max_length=220)
    website = StringField(max_length=300)
    phone = StringField(max_length=20)
    status = StringField(choices=v.PARTNER_STATUSES, default="pending_verification", required=True)
    is_platform = BooleanField(default=False)
    icp = EmbeddedDocumentField(ICP, default=ICP)
    notification_preferences = DictField(default=dict)
    status_reason = StringField(max_length=500)
    activated_at = DateTimeField()
    suspended_at = DateTimeField()


class User(TimestampedDocument):
    meta = {"collection": "users", "indexes": [
        {"fields": ["email"], "unique": True},
        ("partner", "-created_at"), "role",
        "-created_at",  # platform staff list every user, newest first
    ]}

    email = EmailField(required=True, max_length=254)
    name = StringField(required=True, max_length=200)
    password_hash = StringField()
    role = StringField(choices=v.ROLES, default="user", required=True)
    partner = RefField(null=True)
    is_partner_owner = BooleanField(default=False)
    is_active = BooleanField(default=True)
    # Set while platform staff (or the partner's owner) keep the user out: no link may let them back in.
    deactivated_at = DateTimeField()
    # Tokens carry this number; bumping it refuses every earlier token ("revoke every session").
    session_version = IntField(default=0)
    last_sign_in_at = DateTimeField()

    @property
    def is_platform(self) -> bool:
        return self.role in ("owner", "admin")


class Note(EmbeddedDocument):
    text = StringField(required=True, max_length=5000)
    author = StringField(required=True)
    at = DateTimeField(default=utcnow, required=True)


class Lead(TimestampedDocument):
    # "shard_key": mongoengine names the partner in the filter of every save, delete and reload, as
    # a cluster sharded by partner needs; with it, a write to one partner's lead is counted as that
    # partner's (``count_writes_by_owner`` below), and a partner's lead may never change hands.
    meta = {"collection": "leads", "shard_key": ("partner",), "indexes": [
        # Unique only while the lead is alive: email_key is unset on soft delete (a sparse
        # unique index works on every MongoDB, unlike partial indexes on every stand-in).
        {"fields": ["email_key"], "unique": True, "sparse": True},
        ("partner", "is_deleted", "-created_at"),
        ("partner", "is_deleted", "deal_status"),
        ("partner", "email"),
        "email",
    ]}

    partner = RefField(required=True)
    email_key = StringField()
    is_deleted = BooleanField(default=False, required=True)
    deleted_at = DateTimeField()
    first_name = StringField(required=True, max_length=100)
    last_name = StringField(max_length=100, default="")
    email = StringField(required=True, max_length=254)
    phone = StringField(max_length=20)
    company = StringField(max_length=200)
    company_domain = StringField(max_length=253)
    job_title = StringField(max_length=150)
    seniority = StringField(choices=v.SENIORITIES, null=True)
    industry = StringField(choices=v.INDUSTRIES, null=True)
    company_size = StringField(choices=v.COMPANY_SIZES, null=True)
    country = StringField(max_length=2)
    deal_amount = IntField(min_value=0, default=0)
    currency = StringField(default="usd", max_length=3)
    deal_status = StringField(choices=v.DEAL_STATUSES, default="new", required=True)
    notes = ListField(EmbeddedDocumentField(Note), default=list)
    source = StringField(max_length=100, default="manual")
    updated_by = StringField(default="system")
    # The CSV import that created the lead, so a resumed import recognises its own rows.
    import_id = RefField(null=True)
    # Where a lead came from beyond ``source`` (e.g. ``purchase:<id>`` for a copy bought on the marketplace).
    source_ref = StringField(max_length=100, null=True)
    # Set while a plugin keeps the lead unchangeable (``sold``: the seller's copy of a lead sold on the
    # marketplace); such leads leave the default list but stay readable (history, invoices).
    read_only_reason = StringField(max_length=40, null=True)
    read_only_since = DateTimeField()

    @staticmethod
    def make_email_key(partner_id, email: str) -> str:
        return f"{partner_id}:{email.lower()}"


# What is cached of one partner's leads (their list, its total, a buyer's owned e-mails) ends only
# with a write that may reach that partner's leads: a sync writing other partners' leads leaves it.
count_writes_by_owner(Lead._meta["collection"], "partner")
# A partner's user list, likewise: another partner's user signing in does not end it.
count_writes_by_owner(User._meta["collection"], "partner")


class UserToken(BaseDocument):
    """A single-use secret (reset, invite, verification); only its SHA-256 is stored."""
    meta = {"collection": "user_tokens", "indexes": [
        {"fields": ["token_hash"], "unique": True},
        ("user", "purpose"),
        {"fields": ["expires_at"], "expireAfterSeconds": 7 * 24 * 3600},
    ]}

    user = RefField(required=True)
    purpose = StringField(required=True, max_length=40)
    token_hash = StringField(required=True)
    expires_at = DateTimeField(required=True)
    used_at = DateTimeField()
    created_at = DateTimeField(default=utcnow)


class LeadImport(TimestampedDocument):
    """A CSV import too large to answer inline: its file, progress and per-row errors."""
    meta = {"collection": "lead_imports", "indexes": [("partner", "-created_at")]}

    partner = RefField(required=True)
    created_by = StringField(required=True)
    status = StringField(choices=("queued", "running", "completed", "failed"), default="queued", required=True)
    content = StringField()  # the CSV text; dropped once the import has finished
    total_rows = IntField(default=0)
    processed_rows = IntField(default=0)
    imported = IntField(default=0)
    failed = IntField(default=0)
    errors = ListField(DictField(), default=list)
    errors_truncated = BooleanField(default=False)
    failure_reason = StringField()
    started_at = DateTimeField()
    finished_at = DateTimeField()


CORE_MODELS = [Partner, User, Lead, UserToken, LeadImport]
