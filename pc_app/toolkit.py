"""The one module plugins import from the core: models, fields, access, errors, events, jobs, mail, pages, time.

Like CKAN's ``plugins.toolkit``: everything a plugin may rely on is named here, so the
core's insides can move without breaking a plugin. ``tests/test_plugin_imports.py`` fails
when a plugin imports anything from ``pc_app`` other than this module and ``hookimpl``.
"""
from __future__ import annotations

from flask import current_app

from .actors import HUBSPOT, STRIPE, SYSTEM, Actor
from .api import Blueprint, MessageSchema, ObjectIdString, ResponseSchema, Schema, UtcDateTime, abort, error_body
from .auth import (current_actor, current_claims, current_partner, current_partner_id, current_user, login_required,
                   optional_user, owner_required, parse_object_id, partner_for_request, partner_scope,
                   platform_required, require_trading_partner, session_is_live)
from .collection_versions import cached, count_writes_by_owner
from .core.auth.signed_in import read_along, reads_along
from .config import ConfigError, Setting
from .core import vocabulary
from .core.fields import (Boolean, CountryCode, Integer, LowerEmail, Name, NewPassword, PhoneNumber, UniqueList,
                          Website, beyond_schema)
from .core.leads.services import (DuplicateLeadEmail, LeadReadOnly, clear_lead_read_only, create_lead, delete_lead,
                                  set_lead_read_only)
from .core.auth.jobs import DECISION_JOB_OPTIONS
from .core.auth.schemas import SessionSchema
from .core.auth.services import PasswordRejected, claim_password_token, session_for
from .core.leads.schemas import LeadWriteSchema
from .core.models import ICP, Lead, Note, Partner, TimestampedDocument, User
from .core.partners.schemas import PartnerSchema
from .core.partners.services import create_partner, set_partner_status
from .core.passwords import hash_password
from .core.tokens import TokenRejected, issue_token, revoke_tokens
from .core.users.services import EmailTaken, create_user
from .crypto import DecryptionError, box_from_config, secret_box
from .csv_export import csv_text, write_csv
from .db import (WHOLE_BATCH, BaseDocument, DateTimeField, RefField, ValueListField, as_utc, database, distinct_pipeline,
                 is_object_id, iso_utc, iso_utc_ms, new_id, owned_by, parse_stored_datetime,
                 partner_filter, read_matching, text_contains, undone_on_failure, utcnow)
from .key_rotation import SealedFields, reseal
from .errors import (BadRequest, Conflict, Forbidden, Invalid, NotFound, PaymentDeclined, ServiceError,
                     TooManyRequests, Unauthorized, UpstreamFailed, UpstreamUnavailable)
from .event_delivery import StoredEvent, delivery_key, event_from_document
from .events import Event, EventType, Subscription, emit
from .hookspecs import hookimpl
from .jobs import JobSpec, cancel_job, enqueue, get_queue
from .mail import send_mail
from .metrics import count_upstream_call, count_webhook_delivery, upstream_outcome
from .onboarding import OnboardingStep
from .pages import (ClockFields, PageArgsSchema, count_cap, count_capped, count_matching, count_upto, kept_answer,
                    page_answer, page_of, page_schema, paginate)
from .progress import Progress
from .ratelimit import limit_per_address_and_email, limiter, setting
from .redis_client import get_redis
from .request_body import read_json

__all__ = [
    # who did it
    "HUBSPOT", "STRIPE", "SYSTEM", "Actor",
    # HTTP
    "Blueprint", "MessageSchema", "ObjectIdString", "ResponseSchema", "Schema", "UtcDateTime", "abort", "error_body",
    "ClockFields", "PageArgsSchema", "cached", "count_cap", "count_capped", "count_matching", "count_upto", "kept_answer",
    "count_writes_by_owner", "owned_by", "page_answer", "page_of", "page_schema", "paginate",
    "limit_per_address_and_email", "limiter", "setting", "read_json",
    # access
    "current_actor", "current_claims", "current_partner", "current_partner_id", "current_user", "login_required",
    "optional_user", "owner_required", "parse_object_id", "partner_for_request", "partner_scope",
    "platform_required", "require_trading_partner", "session_is_live", "read_along", "reads_along",
    # settings
    "ConfigError", "Setting", "config",
    # models and fields
    "vocabulary", "CountryCode", "LowerEmail", "PhoneNumber",
    # input fields: exactly what their OpenAPI schema says (bounded integers, strict booleans, names, URLs)
    "Boolean", "Integer", "Name", "NewPassword", "UniqueList", "Website", "beyond_schema",
    "ICP", "Lead", "Note", "Partner", "TimestampedDocument", "User",
    "WHOLE_BATCH", "BaseDocument", "DateTimeField", "RefField", "ValueListField", "as_utc", "database",
    "distinct_pipeline",
    "is_object_id", "iso_utc", "iso_utc_ms", "new_id",
    "parse_stored_datetime", "partner_filter", "read_matching", "text_contains", "undone_on_failure", "utcnow",
    # errors
    "BadRequest", "Conflict", "Forbidden", "Invalid", "NotFound", "PaymentDeclined", "ServiceError",
    "TooManyRequests", "Unauthorized", "UpstreamFailed", "UpstreamUnavailable",
    # leads of a partner (the marketplace's sold copies, the buyers' bought ones, the sync's from HubSpot deals)
    "LeadWriteSchema", "DuplicateLeadEmail", "LeadReadOnly", "create_lead", "delete_lead", "set_lead_read_only",
    "clear_lead_read_only",
    # accounts: partners, users, single-use links and sessions (for registration-like plugins)
    "PartnerSchema", "SessionSchema", "PasswordRejected", "TokenRejected", "EmailTaken", "DECISION_JOB_OPTIONS",
    "claim_password_token", "session_for", "create_partner", "set_partner_status", "hash_password", "issue_token",
    "revoke_tokens", "create_user",
    # encryption of stored secrets (AES-256-GCM with key ids)
    "DecryptionError", "box_from_config", "secret_box", "SealedFields", "reseal",
    # spreadsheet-safe CSV exports
    "csv_text", "write_csv",
    # events, hooks, jobs, mail; the stored events durable subscribers hear (kept RETENTION_DAYS)
    "Event", "EventType", "Subscription", "emit", "hookimpl", "call_hook", "enabled_plugins", "OnboardingStep",
    "StoredEvent", "delivery_key", "event_from_document",
    "JobSpec", "cancel_job", "enqueue", "get_queue", "send_mail", "get_redis",
    # observability and long work
    "count_upstream_call", "count_webhook_delivery", "upstream_outcome", "Progress",
]


def call_hook(hook_name: str, **kwargs) -> list[tuple[str, object]]:
    """Call a hook on the current app's plugins: ``(plugin_name, result)`` each, dependencies first."""
    from .plugins import call_hook as _call

    return _call(current_app.extensions["pc_plugin_manager"], hook_name, **kwargs)


def config(name: str):
    """A setting of the current app (``app.config[name]``)."""
    return current_app.config[name]


def enabled_plugins() -> frozenset:
    """The names of the plugins enabled in the current app (for plugins that cooperate without requiring)."""
    return frozenset(info.name for info in current_app.extensions["pc_plugins"])
