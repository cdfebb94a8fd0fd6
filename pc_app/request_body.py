"""The one reader of JSON request bodies: parsed once per request, within limits, into values MongoDB can store.

Every JSON body the app reads goes through ``read_json``: the API's argument parser, the
rate limiter's per-e-mail key, webhook receivers, and ``request.get_json()`` itself (the
app's request class routes it here). A body is refused, in the one error shape, when it is

- larger than ``MAX_BYTES`` (413),
- not UTF-8 or not JSON, or uses ``NaN``/``Infinity`` (400),
- nested deeper than ``MAX_DEPTH`` (422; checked by a scan without recursion, so a
  thousand ``[`` cannot exhaust the interpreter's stack),
- carrying an integer of more than ``MAX_INTEGER_DIGITS`` digits or a number too large for a
  float (422 naming the field; no integer-string conversion limit is ever reached),
- carrying a string or key MongoDB cannot store: a lone UTF-16 surrogate or a NUL (422
  naming the field).

The outcome (the value, or the refusal) is kept on the request, so reading twice parses once.
"""
from __future__ import annotations

import json
import math
import re
from itertools import accumulate

from flask import Request, request

from .errors import BadRequest, Invalid, PayloadTooLarge

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 32
# 2**64 has 20 digits, so every 64-bit integer fits; longer ones are refused before int() sees them.
MAX_INTEGER_DIGITS = 20
# How many offending fields one answer names.
MAX_NAMED_FIELDS = 20

_CACHE_KEY = "pc.json_body"
# JSON strings (escapes included), and everything that is not a bracket: both removed before counting.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
# Escapes that can produce a NUL or a surrogate; without one, no string needs checking.
_RISKY_ESCAPE = re.compile(r"\\u(?:0000|[dD][89abcdefABCDEF][0-9a-fA-F]{2})")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class _Refused(float):
    """Stands in, during parsing, for a number the parser refuses; the walk then names its field."""

    reason = ""

    def __new__(cls, reason: str):
        marker = super().__new__(cls, 0.0)
        marker.reason = reason
        return marker


def read_json(req: Request | None = None):
    """The request's JSON body, or None when it has none (``has_body`` tells that from a JSON ``null``).

    Refusals raise the core's errors:

    :raises PayloadTooLarge: more than ``MAX_BYTES``.
    :raises BadRequest: not UTF-8, not JSON, or ``NaN``/``Infinity``.
    :raises Invalid: too deep, an over-long integer, a non-finite number, a NUL or a lone surrogate.
    """
    req = req if req is not None else request
    cached = req.environ.get(_CACHE_KEY)
    if cached is None:
        try:
            cached = ("value", _parse(req))
        except (PayloadTooLarge, BadRequest, Invalid) as refused:
            cached = ("refused", refused)
        req.environ[_CACHE_KEY] = cached
    kind, outcome = cached
    if kind == "refused":
        raise outcome
    return outcome


def read_json_or_none(req: Request | None = None):
    """The JSON body, or None when there is none or it is refused (the refusal stays cached for the parser)."""
    try:
        return read_json(req)
    except (PayloadTooLarge, BadRequest, Invalid):
        return None


def has_body(req: Request | None = None) -> bool:
    """Whether the request carries any body bytes (whatever their type)."""
    req = req if req is not None else request
    if req.content_length:
        return True
    return bool(req.get_data(cache=True)) if req.content_length is None else False


def _parse(req: Request):
    if req.content_length is not None and req.content_length > MAX_BYTES:
        raise PayloadTooLarge(f"The JSON body is too large: at most {MAX_BYTES // 1024} KiB.")
    raw = req.get_data(cache=True)
    if len(raw) > MAX_BYTES:
        raise PayloadTooLarge(f"The JSON body is too large: at most {MAX_BYTES // 1024} KiB.")
    if not raw:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The body is not UTF-8 text.", errors={"_schema": ["Not UTF-8."]}) from None
    return parse_json_text(text)


def parse_json_text(text: str):
    """Parse JSON text within the limits above (the part of ``read_json`` that does not need a request)."""
    _check_depth(text)
    flagged = []

    def parse_int(digits: str):
        if len(digits) - digits.startswith("-") > MAX_INTEGER_DIGITS:
            flagged.append(True)
            return _Refused(f"Integers have at most {MAX_INTEGER_DIGITS} digits.")
        return int(digits)

    def parse_float(literal: str):
        value = float(literal)
        if not math.isfinite(value):
            flagged.append(True)
            return _Refused("The number is too large.")
        return value

    def parse_constant(name: str):
        raise BadRequest(f"'{name}' is not JSON; send numbers as finite values.",
                         errors={"_schema": [f"'{name}' is not allowed."]})

    try:
        value = json.loads(text, parse_int=parse_int, parse_float=parse_float, parse_constant=parse_constant)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"The body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).",
                         errors={"_schema": ["Not valid JSON."]}) from None
    except RecursionError:  # the depth scan makes this unreachable; kept so no input can become a 500
        raise Invalid(message=f"The JSON body is nested deeper than {MAX_DEPTH} levels.",
                      errors={"_schema": [f"At most {MAX_DEPTH} levels of nesting."]}) from None
    if flagged or _RISKY_ESCAPE.search(text):
        problems = _unstorable_values(value)
        if problems:
            raise Invalid(errors=problems)
    return value


def _check_depth(text: str) -> None:
    """Refuse nesting deeper than ``MAX_DEPTH``: brackets outside strings, summed without recursion.

    Every step runs in C (a regex removes strings, another everything but brackets, a running
    sum finds the deepest point), so a megabyte of brackets costs milliseconds, not a Python loop.
    """
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0) > MAX_DEPTH:
        raise Invalid(message=f"The JSON body is nested deeper than {MAX_DEPTH} levels.",
                      errors={"_schema": [f"At most {MAX_DEPTH} levels of nesting."]})


def _unstorable_values(value) -> dict:
    """``{field path: [why]}`` for every refused number and every string or key MongoDB cannot store."""
    problems: dict = {}
    stack = [("", value)]
    while stack and len(problems) < MAX_NAMED_FIELDS:
        path, item = stack.pop()
        if isinstance(item, _Refused):
            problems[path or "_schema"] = [item.reason]
        elif isinstance(item, str):
            if _UNSTORABLE.search(item):
                problems[path or "_schema"] = [_unstorable_sentence(item)]
        elif isinstance(item, dict):
            for key, inner in item.items():
                inner_path = f"{path}.{_printable(key)}" if path else _printable(key)
                if _UNSTORABLE.search(key):
                    problems[inner_path] = [_unstorable_sentence(key, "The field name")]
                else:
                    stack.append((inner_path, inner))
        elif isinstance(item, list):
            stack.extend((f"{path}.{index}" if path else str(index), inner) for index, inner in enumerate(item))
    return problems


def _unstorable_sentence(text: str, subject: str = "The text") -> str:
    if "\x00" in text:
        return f"{subject} contains a NUL character, which cannot be stored."
    return f"{subject} contains a lone UTF-16 surrogate (half of a character), which cannot be stored."


def _printable(key: str) -> str:
    """A field name fit for an error answer: characters that cannot be stored written as escapes."""
    return _UNSTORABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", key)


class GuardedRequest(Request):
    """Flask's request whose ``get_json`` (and ``.json``) is ``read_json``: no second, unguarded parser."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True):
        if not (force or self.is_json):
            if silent:
                return None
            return self.on_json_loading_failed(None)
        if silent:
            return read_json_or_none(self)
        return read_json(self)
