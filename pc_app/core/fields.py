"""Marshmallow fields for every input the API takes: what each accepts is exactly what its OpenAPI schema says.

JSON types are strict: an ``Integer`` takes JSON integers within bounds that fit MongoDB's
signed 64 bits, a ``Boolean`` only ``true``/``false``. Query strings and CSV cells are text;
the argument parser turns them into JSON types first with each field's ``from_text``
(``"12"`` -> 12, ``"true"`` -> True, ASCII digits only), so one field serves every location.
Names refuse whitespace-only values and NUL characters; websites are http(s) URLs of the
shape their documented pattern states. A rule no JSON schema can state (a phone number that
exists, a link we sent) is named in the field's ``x-validated-beyond-schema`` note, which the
fuzzer (``pc_app.testing.fuzz_api``) reads.
"""
from __future__ import annotations

import re

import marshmallow as ma
import phonenumbers
from marshmallow import validate

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

# The OpenAPI extension naming a rule a field checks beyond its schema.
BEYOND_SCHEMA = "x-validated-beyond-schema"

_ASCII_INTEGER = re.compile(r"-?[0-9]{1,20}")
_NOT_BLANK = r"\S"


def from_text(field, value):
    """A text value (a query string's, a CSV cell's) as ``field``'s JSON type, through the field's ``from_text``
    (a list's items each through its item field's); text no field reads stays text, for the field to refuse."""
    if field is None:
        return value
    if isinstance(value, list):
        convert = getattr(getattr(field, "inner", None), "from_text", None)
        return [convert(item) for item in value] if convert else value
    convert = getattr(field, "from_text", None)
    return convert(value) if convert else value


def beyond_schema(rule: str, metadata: dict | None = None) -> dict:
    """Field metadata saying, in the OpenAPI document, which rule the field checks beyond its schema."""
    return {**(metadata or {}), BEYOND_SCHEMA: rule}


class Integer(ma.fields.Integer):
    """A JSON integer within ``min``..``max`` (default: MongoDB's signed 64 bits), documented as such.

    A float with an integral value (``5.0``) is an integer, as JSON Schema says; strings,
    booleans and fractions are not.
    """

    def __init__(self, *, min: int = INT64_MIN, max: int = INT64_MAX, **kwargs):  # noqa: A002
        if min < INT64_MIN or max > INT64_MAX or min > max:
            raise ValueError(f"Integer bounds must lie within {INT64_MIN}..{INT64_MAX}")
        validators = kwargs.pop("validate", None)
        validators = [validators] if callable(validators) else list(validators or [])
        self.minimum, self.maximum = min, max
        super().__init__(strict=True, validate=[validate.Range(min=min, max=max), *validators], **kwargs)

    def _validated(self, value):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid", input=value)
        return value

    @staticmethod
    def from_text(text):
        """Query strings and CSV cells: ASCII digits become an int; anything else stays text (and is refused)."""
        return int(text) if isinstance(text, str) and _ASCII_INTEGER.fullmatch(text) else text


class Boolean(ma.fields.Boolean):
    """``true`` or ``false`` (JSON booleans; ``"true"``/``"false"`` in a query string), nothing else."""

    default_error_messages = {"invalid": "Must be true or false."}

    def _deserialize(self, value, attr, data, **kwargs):
        if value is True or value is False:
            return value
        raise self.make_error("invalid", input=value)

    @staticmethod
    def from_text(text):
        return {"true": True, "false": False}.get(text, text) if isinstance(text, str) else text


class Name(ma.fields.String):
    """A person's or company's name: ``min``..``max`` characters, not only whitespace, no NUL; stored trimmed.

    The bounds apply to the text as sent, so the documented ``minLength``/``maxLength`` and
    ``pattern`` are exactly what is accepted. ``allow_empty`` also takes ``""`` (an optional name).
    """

    default_error_messages = {"blank": "Must contain a character other than whitespace.",
                              "nul": "Must not contain the NUL character.",
                              "length": "Length must be between {min} and {max}."}

    def __init__(self, *, min: int = 1, max: int = 200, allow_empty: bool = False, **kwargs):  # noqa: A002
        self.min_length, self.max_length, self.allow_empty = min, max, allow_empty
        metadata = {**kwargs.pop("metadata", {}), "maxLength": max,
                    "pattern": f"^$|{_NOT_BLANK}" if allow_empty else _NOT_BLANK}
        if not allow_empty:
            metadata["minLength"] = min
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise self.make_error("nul")
        if text == "" and self.allow_empty:
            return text
        if not self.min_length <= len(text) <= self.max_length:
            raise self.make_error("length", min=self.min_length, max=self.max_length)
        if not re.search(_NOT_BLANK, text):
            raise self.make_error("blank")
        return text.strip()


# An http(s) URL whose every character is one RFC 3986 allows where it stands, so anything the
# pattern accepts is also a valid "uri" to every checker.
_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_URL_CHAR = r"(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})"
WEBSITE_PATTERN = (rf"^https?://{_HOST_LABEL}(?:\.{_HOST_LABEL})*(?::[0-9]{{1,5}})?"
                   rf"(?:/{_URL_CHAR}*)*(?:\?(?:{_URL_CHAR}|[/?])*)?(?:#(?:{_URL_CHAR}|[/?])*)?$")


class Website(ma.fields.String):
    """An ``http://`` or ``https://`` URL (at most ``max`` characters), documented as ``format: uri`` with its pattern."""

    default_error_messages = {"invalid_url": "Not a valid http(s) URL, like https://example.com."}

    def __init__(self, *, max: int = 300, **kwargs):  # noqa: A002
        metadata = {**kwargs.pop("metadata", {}), "format": "uri", "pattern": WEBSITE_PATTERN}
        super().__init__(validate=[validate.Length(max=max)], metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not re.fullmatch(WEBSITE_PATTERN, text):
            raise self.make_error("invalid_url")
        return text


class UniqueList(ma.fields.List):
    """A list whose items must not repeat as sent (documented ``uniqueItems``) and, with ``max_items``, at most
    that many; repeats that only appear after an item's normalisation (``"us"`` and ``"US"``) are merged."""

    def __init__(self, inner, *, max_items: int | None = None, **kwargs):
        self.max_items = max_items
        metadata = {**kwargs.pop("metadata", {}), "uniqueItems": True}
        if max_items is not None:
            metadata["maxItems"] = max_items
        super().__init__(inner, metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list):
            if self.max_items is not None and len(value) > self.max_items:
                raise ma.ValidationError(f"At most {self.max_items} values.")
            seen = []
            for item in value:
                if item in seen:
                    raise ma.ValidationError("Values must not repeat.")
                seen.append(item)
        merged = []
        for item in super()._deserialize(value, attr, data, **kwargs):
            if item not in merged:
                merged.append(item)
        return merged


class NewPassword(ma.fields.String):
    """A password being set: its length bounds are documented; the rest of the policy is checked by the service."""

    def __init__(self, **kwargs):
        from .passwords import MAX_LENGTH, MIN_LENGTH

        metadata = beyond_schema("not a common password, not the account's e-mail address, more than two "
                                 "different characters", {"minLength": MIN_LENGTH, "maxLength": MAX_LENGTH,
                                                          **kwargs.pop("metadata", {})})
        super().__init__(load_only=True, metadata=metadata, **kwargs)


def normalise_phone(raw: str) -> str:
    """Return the number in E.164; numbers without a country code are read as US numbers."""
    try:
        parsed = phonenumbers.parse(raw, None if raw.strip().startswith("+") else "US")
    except phonenumbers.NumberParseException:
        raise ValueError("Not a phone number.") from None
    if not phonenumbers.is_possible_number(parsed) or not phonenumbers.is_valid_number(parsed):
        raise ValueError("Not a valid phone number; use international format like +14155550123.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class PhoneNumber(ma.fields.String):
    """A phone number that exists, in any common notation; stored in E.164 (``+14155550123``)."""

    MAX_LENGTH = 40

    def __init__(self, **kwargs):
        metadata = beyond_schema("a number that exists in its country's numbering plan (US when no +country code)",
                                 {"maxLength": self.MAX_LENGTH, **kwargs.pop("metadata", {})})
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        if len(raw) > self.MAX_LENGTH:
            raise ma.ValidationError(f"Longer than {self.MAX_LENGTH} characters.")
        if raw == "":
            return None
        try:
            return normalise_phone(raw)
        except ValueError as exc:
            raise ma.ValidationError(str(exc)) from None


class LowerEmail(ma.fields.Email):
    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.strip().lower()
        return super()._deserialize(value, attr, data, **kwargs)


def _country_choices(allow_blank: bool) -> list[str]:
    from .vocabulary import COUNTRIES

    codes = sorted(COUNTRIES)
    return ([""] if allow_blank else []) + codes + [code.lower() for code in codes]


class CountryCode(ma.fields.String):
    """An ISO 3166-1 alpha-2 country code in upper or lower case ("de" is DE), stored upper-case.

    The documented ``enum`` lists both cases, so the schema accepts exactly what the API does;
    ``allow_blank`` also takes ``""`` as "no country" (loaded as None).
    """

    default_error_messages = {"country": "'{input}' is not an ISO 3166-1 alpha-2 country code."}

    def __init__(self, *, allow_blank: bool = False, **kwargs):
        self.allow_blank = allow_blank
        self.choices = frozenset(_country_choices(allow_blank))
        metadata = {**kwargs.pop("metadata", {}), "enum": _country_choices(allow_blank)}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        code = super()._deserialize(value, attr, data, **kwargs)
        if code not in self.choices:
            raise self.make_error("country", input=code)
        return code.upper() or None
