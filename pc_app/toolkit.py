"""The one module plugins import from the core: models, fields, access, errors, events, jobs, mail, pages, time.

Like CKAN's ``plugins.toolkit``: everything a plugin may rely on is named here, so the
core's insides can move without breaking a plugin. ``tests/test_plugin_imports.py`` fails
when a plugin imports anything from ``pc_app`` other than this module and ``hookimpl``.
"""
from __future__ import annotations

from flask import current_app

from .actors import HUBSPOT, STRIPE, SYSTEM, Actor
from .api import (Blueprint, ObjectIdString, PageArgsSchema, Schema, UtcDateTime, abort, count_matching,
                  error_body, page_schema, paginate)
from .auth import (current_actor, current_claims, current_partner, current_user, login_required, optional_user,
                   owner_required, parse_object_id, partner_for_request, platform_required, require_trading_partner)
from .config import ConfigError, Setting
from .core import vocabulary
from .core.fields import CountryCode, LowerEmail, PhoneNumber
from .core.models import ICP, Lead, Note, Partner, TimestampedDocument, User, as_utc, utcnow
from .crypto import secret_box
from .db import BaseDocument, DateTimeField, RefField, database, is_object_id, new_id, parse_stored_datetime, \
    text_contains
from .errors import (BadRequest, Conflict, Forbidden, Invalid, NotFound, PaymentDeclined, ServiceError,
                     TooManyRequests, Unauthorized, UpstreamFailed, UpstreamUnavailable)
from .events import Event, EventType, Subscription, emit
from .hookspecs import hookimpl
from .jobs import JobSpec, enqueue, get_queue
from .mail import send_mail
from .onboarding import OnboardingStep
from .ratelimit import limit_per_address_and_email, limiter, setting
from .redis_client import get_redis

__all__ = [
    "HUBSPOT", "STRIPE", "SYSTEM", "Actor",
    "Blueprint", "ObjectIdString", "PageArgsSchema", "Schema", "UtcDateTime", "abort", "count_matching",
    "error_body", "page_schema", "paginate",
    "current_actor", "current_claims", "current_partner", "current_user", "login_required", "optional_user", "owner_required",
    "parse_object_id", "partner_for_request", "platform_required", "require_trading_partner",
    "ConfigError", "Setting", "vocabulary", "CountryCode", "LowerEmail", "PhoneNumber",
    "ICP", "Lead", "Note", "Partner", "TimestampedDocument", "User", "as_utc", "utcnow",
    "secret_box",
    "BaseDocument", "DateTimeField", "RefField", "database", "is_object_id", "new_id", "parse_stored_datetime",
    "text_contains",
    "BadRequest", "Conflict", "Forbidden", "Invalid", "NotFound", "PaymentDeclined", "ServiceError",
    "TooManyRequests", "Unauthorized", "UpstreamFailed", "UpstreamUnavailable",
    "Event", "EventType", "Subscription", "emit", "hookimpl", "JobSpec", "enqueue", "get_queue", "send_mail",
    "OnboardingStep", "limit_per_address_and_email", "limiter", "setting", "get_redis",
    "call_hook", "config",
]


def call_hook(hook_name: str, **kwargs) -> list[tuple[str, object]]:
    """Call a hook on the current app's plugins: ``(plugin_name, result)`` each, dependencies first."""
    from .plugins import call_hook as _call

    return _call(current_app.extensions["pc_plugin_manager"], hook_name, **kwargs)


def config(name: str):
    """A setting of the current app (``app.config[name]``)."""
    return current_app.config[name]
