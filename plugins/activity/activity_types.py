"""How each event type reads as an activity: the plugins' contributions (``pc_activity_types``) over defaults.

Every declared event type is an activity type. A type nobody describes gets the catalog's
description as its sentence, the ``bell`` icon, in-app and webhook on, e-mail off, and every
member of the partner as its audience — except the money and settings events of the lead's
event contract, which stay with partner owners until their plugin says so itself.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass, field

from pc_app.toolkit import ConfigError

CHANNELS = ("in_app", "email", "webhook")
AUDIENCES = ("members", "owners")
DEFAULT_CHANNELS = frozenset({"in_app", "webhook"})
DESCRIPTION_KEYS = {"sentence", "sentences", "icon", "channels", "audience", "subjects", "alsoNotify", "private",
                    "onlyToNamed"}

# CONTRACT_EVENTS "Who sees what": money and settings events are for partner owners only. Plugins
# written later (payments) contribute their own descriptions; until then these names fail closed.
OWNERS_ONLY_BY_DEFAULT = re.compile(
    r"^(payments\.purchase_.*|payments\.payouts_enabled|hubspot\..*|registration\.partner_suspended|"
    r"registration\.partner_reinstated|core\.partner_updated)$")

_ICON = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
_CURRENCY_SIGNS = {"usd": "$", "eur": "€", "gbp": "£"}


@dataclass(frozen=True)
class ActivityType:
    """One event type as the activity plugin renders and routes it."""
    name: str
    description: str
    sentence: str | None = None
    sentences: dict = field(default_factory=dict)
    icon: str = "bell"
    channels: frozenset = DEFAULT_CHANNELS
    audience: str = "members"
    subjects: dict | None = None
    also_notify: str | None = None
    private: tuple = ()
    only_to_named: tuple = ()  # payload fields naming partners: each recipient reads them only when named
    described_by: str | None = None

    def defaults(self) -> dict:
        """``{channel: on}`` before any preference."""
        return {channel: channel in self.channels for channel in CHANNELS}

    def visible_to_members(self) -> bool:
        return self.audience == "members"


def build_activity_types(app) -> dict[str, ActivityType]:
    """Every catalog event as an ``ActivityType``; a malformed contribution stops start-up naming its plugin."""
    from pc_app.toolkit import call_hook

    catalog = app.extensions["pc_events"]
    types = {event_type.name: _default_type(event_type) for event_type in catalog}
    with app.app_context():
        contributions = call_hook("pc_activity_types")
    for plugin_name, described in contributions:
        if described is None:
            continue
        if not isinstance(described, dict):
            raise ConfigError(f"Plugin '{plugin_name}' answered pc_activity_types with a "
                              f"{type(described).__name__}; it must be a dict of event name -> description.")
        for name, description in described.items():
            if name not in types:
                continue  # an event of a plugin that is not enabled
            types[name] = _described(types[name], description, plugin_name)
    return types


def _default_type(event_type) -> ActivityType:
    owners = bool(OWNERS_ONLY_BY_DEFAULT.match(event_type.name))
    return ActivityType(event_type.name, event_type.description, audience="owners" if owners else "members")


def _described(base: ActivityType, description, plugin_name: str) -> ActivityType:
    def refuse(sentence: str):
        raise ConfigError(f"Plugin '{plugin_name}' describes activity type {base.name}: {sentence}")

    if not isinstance(description, dict):
        refuse("the description must be a dict.")
    unknown = sorted(set(description) - DESCRIPTION_KEYS)
    if unknown:
        refuse(f"unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(DESCRIPTION_KEYS))}).")
    changes: dict = {"described_by": plugin_name}
    if "sentence" in description:
        if not isinstance(description["sentence"], str) or not description["sentence"].strip():
            refuse("sentence must be a non-empty string.")
        changes["sentence"] = description["sentence"]
    if "sentences" in description:
        sentences = description["sentences"]
        if not _is_text_map(sentences):
            refuse("sentences must map payload fields to templates.")
        changes["sentences"] = dict(sentences)
    if "icon" in description:
        if not isinstance(description["icon"], str) or not _ICON.match(description["icon"]):
            refuse("icon must be a lower-case icon name like 'tag' or 'credit-card'.")
        changes["icon"] = description["icon"]
    if "channels" in description:
        channels = description["channels"]
        if not isinstance(channels, (list, tuple, set, frozenset)) or not set(channels) <= set(CHANNELS):
            refuse(f"channels must be a list drawn from {', '.join(CHANNELS)}.")
        changes["channels"] = frozenset(channels)
    if "audience" in description:
        if description["audience"] not in AUDIENCES:
            refuse("audience must be 'members' or 'owners'.")
        changes["audience"] = description["audience"]
    if "subjects" in description:
        subjects = description["subjects"]
        if not _is_text_map(subjects):
            refuse("subjects must map subject types to payload fields.")
        changes["subjects"] = dict(subjects)
    if "alsoNotify" in description:
        if not isinstance(description["alsoNotify"], str):
            refuse("alsoNotify must name one payload field.")
        changes["also_notify"] = description["alsoNotify"]
    if "private" in description:
        private = description["private"]
        if not isinstance(private, (list, tuple)) or not all(isinstance(f, str) for f in private):
            refuse("private must list payload fields.")
        changes["private"] = tuple(private)
    if "onlyToNamed" in description:
        named = description["onlyToNamed"]
        if not isinstance(named, (list, tuple)) or not all(isinstance(f, str) for f in named):
            refuse("onlyToNamed must list payload fields naming partners.")
        changes["only_to_named"] = tuple(named)
    return ActivityType(**{**base.__dict__, **changes})


def _is_text_map(value) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


def types_of(app=None) -> dict[str, ActivityType]:
    from flask import current_app

    return (app or current_app).extensions["activity_types"]


def activity_type(name: str) -> ActivityType:
    """The type of an event name; a name the catalog does not know (an old stored event) reads generically."""
    types = types_of()
    return types.get(name) or ActivityType(name, "Something happened.")


def public_payload(spec: ActivityType, payload: dict, partner_id: str | None = None) -> dict:
    """The payload ``partner_id`` may read: without the fields its type keeps private, nor those of
    ``onlyToNamed`` that name another partner (a buyer's id before the sale is not the seller's to know).
    Without a partner, every ``onlyToNamed`` field is left out."""
    def names_recipient(value) -> bool:
        values = value if isinstance(value, (list, tuple)) else [value]
        return partner_id is not None and str(partner_id) in {str(v) for v in values}

    return {key: value for key, value in payload.items()
            if key not in spec.private and (key not in spec.only_to_named or names_recipient(value))}


def subjects_of(spec: ActivityType, payload: dict) -> list[dict]:
    """``[{type, id}]``: the type's declared subjects, else every ``<thing>Id`` field holding an id."""
    if spec.subjects is not None:
        pairs = [(kind, payload.get(source)) for kind, source in spec.subjects.items()]
    else:
        pairs = [(key[:-2], value) for key, value in payload.items() if key.endswith("Id") and len(key) > 2]
    return [{"type": kind, "id": value} for kind, value in pairs
            if isinstance(value, str) and re.fullmatch(r"[0-9a-f]{24}", value)]


def money(cents, currency: str | None) -> str:
    """``$1,234.50`` from 123450 cents (other currencies: ``1,234.50 CHF``)."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        return str(cents)
    code = (currency or "usd").lower()
    amount = f"{abs(cents) / 100:,.2f}"
    sign = "-" if cents < 0 else ""
    if code in _CURRENCY_SIGNS:
        return f"{sign}{_CURRENCY_SIGNS[code]}{amount}"
    return f"{sign}{amount} {code.upper()}"


class _SentenceFormatter(string.Formatter):
    """``str.format`` plus the ``money`` format spec, which reads the payload's currency."""

    def __init__(self, currency: str | None):
        super().__init__()
        self.currency = currency

    def format_field(self, value, format_spec):
        if format_spec == "money":
            return money(value, self.currency)
        return super().format_field(value, format_spec)


def sentence_for(spec: ActivityType, payload: dict, partner_id: str, context: dict) -> str:
    """The sentence ``partner_id`` reads: its point of view's template, else the type's, else the catalog's.

    A template that names a field the event lacks falls back to the catalog's description: a
    missing word never costs the activity.
    """
    template = spec.sentence
    for source, perspective in spec.sentences.items():
        value = payload.get(source)
        if value == partner_id or (isinstance(value, (list, tuple)) and partner_id in value):
            template = perspective
            break
    if not template:
        return spec.description
    try:
        return _SentenceFormatter(payload.get("currency")).vformat(template, (), {**payload, **context})
    except (KeyError, IndexError, ValueError, AttributeError, TypeError):
        return spec.description
