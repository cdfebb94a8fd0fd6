"""Stripe's form encoding: bracket notation into nested values, then checked against what an endpoint takes.

``transfer_data[destination]=acct_1`` becomes ``{"transfer_data": {"destination": "acct_1"}}``;
``expand[0]=a&expand[1]=b`` (or ``expand[]=``) a list. Every endpoint declares its parameters;
anything else is Stripe's 400 ``parameter_unknown`` naming it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import StripeError, missing_parameter, unknown_parameter

KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
SEGMENT = re.compile(r"\[([^\[\]]*)\]")
METADATA_KEYS, METADATA_KEY_LENGTH, METADATA_VALUE_LENGTH = 50, 40, 500


def parse_pairs(pairs) -> dict:
    """Nested dicts and lists from ``(key, value)`` pairs in Stripe's bracket notation."""
    root: dict = {}
    for key, value in pairs:
        match = KEY.match(key)
        if match is None:
            raise StripeError(400, f"Invalid parameter name: {key}", param=key)
        path = [match.group(1), *SEGMENT.findall(match.group(2))]
        node = root
        for depth, segment in enumerate(path):
            if segment == "":  # "a[]": the next position
                segment = str(sum(1 for k in node if k.isdigit())) if isinstance(node, dict) else ""
            last = depth == len(path) - 1
            if last:
                if segment in node and isinstance(node[segment], dict):
                    raise StripeError(400, f"Invalid hash: {key} mixes a value and nested parameters", param=key)
                node[segment] = value
            else:
                child = node.setdefault(segment, {})
                if not isinstance(child, dict):
                    raise StripeError(400, f"Invalid hash: {key} mixes a value and nested parameters", param=key)
                node = child
    return _lists_from_indexes(root)


def _lists_from_indexes(node):
    if not isinstance(node, dict):
        return node
    converted = {k: _lists_from_indexes(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


def bracketed(prefix: str, name: str) -> str:
    return f"{prefix}[{name}]" if prefix else name


@dataclass(frozen=True)
class Param:
    """One parameter: ``kind`` is string, integer, boolean, metadata, expand, strings, hash (with ``fields``)
    free_hash (any nested values, kept as given) or range (``created`` filters)."""
    kind: str = "string"
    required: bool = False
    choices: tuple = ()
    minimum: int | None = None
    fields: dict | None = None


def checked(raw: dict, spec: dict, prefix: str = "") -> dict:
    """``raw`` converted to the declared types; unknown, missing or malformed parameters are Stripe's 400s."""
    if not isinstance(raw, dict):
        raise StripeError(400, f"Invalid object: {prefix or 'request body'}", param=prefix or None)
    for name in raw:
        if name not in spec:
            raise unknown_parameter(bracketed(prefix, name))
    values = {}
    for name, param in spec.items():
        where = bracketed(prefix, name)
        if name not in raw:
            if param.required:
                raise missing_parameter(where)
            continue
        values[name] = _converted(raw[name], param, where)
    return values


def _converted(value, param: Param, where: str):
    kind = param.kind
    if kind in ("string", "integer", "boolean") and not isinstance(value, str):
        raise StripeError(400, f"Invalid {kind}: {where} takes one value, not a list or hash", param=where)
    if kind == "string":
        if param.required and value == "":
            raise StripeError(400, f"You passed an empty string for '{where}'. We assume empty values are an attempt "
                                   f"to unset a parameter; however '{where}' cannot be unset.",
                              code="parameter_invalid_empty", param=where)
        if param.choices and value not in param.choices and value != "":
            raise StripeError(400, f"Invalid {where}: must be one of {', '.join(param.choices)}", param=where)
        return value or None
    if kind == "integer":
        if not re.fullmatch(r"-?\d+", value):
            raise StripeError(400, f"Invalid integer: {value}", code="parameter_invalid_integer", param=where)
        number = int(value)
        if param.minimum is not None and number < param.minimum:
            raise StripeError(400, f"This value must be greater than or equal to {param.minimum}.",
                              code="parameter_invalid_integer", param=where)
        return number
    if kind == "boolean":
        if value not in ("true", "false"):
            raise StripeError(400, f"Invalid boolean: {value}", param=where)
        return value == "true"
    if kind in ("expand", "strings"):
        if isinstance(value, str):
            value = [value] if value else []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise StripeError(400, f"Invalid array: {where}", param=where)
        return value
    if kind == "metadata":
        return _metadata(value, where)
    if kind == "hash":
        if value == "":
            return None
        return checked(value, param.fields or {}, where)
    if kind == "range":
        return _created_range(value, where)
    if kind == "free_hash":
        if value == "":
            return None
        if not isinstance(value, dict):
            raise StripeError(400, f"Invalid object: {where}", param=where)
        return value
    raise ValueError(f"unknown parameter kind {kind}")


def _created_range(value, where: str) -> dict:
    """``created=T`` or ``created[gte]=T`` (gt, gte, lt, lte), as bounds in seconds."""
    bounds = {"eq": value} if isinstance(value, str) else value
    if not isinstance(bounds, dict) or set(bounds) - {"eq", "gt", "gte", "lt", "lte"}:
        raise StripeError(400, f"Invalid {where}: an integer, or a hash of gt, gte, lt, lte", param=where)
    converted = {}
    for key, text in bounds.items():
        if not isinstance(text, str) or not re.fullmatch(r"\d+", text):
            raise StripeError(400, f"Invalid integer: {text}", code="parameter_invalid_integer",
                              param=bracketed(where, key) if key != "eq" else where)
        converted[key] = int(text)
    return converted


def _metadata(value, where: str) -> dict:
    """Metadata changes: ``{key: value}``, with ``None`` for a key to remove (Stripe's empty string)."""
    if value == "":
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise StripeError(400, f"Invalid object: {where} takes string keys and values", param=where)
    if len(value) > METADATA_KEYS:
        raise StripeError(400, f"Invalid {where}: at most {METADATA_KEYS} keys", param=where)
    for key, text in value.items():
        if len(key) > METADATA_KEY_LENGTH:
            raise StripeError(400, f"Metadata keys can have up to {METADATA_KEY_LENGTH} characters.",
                              param=bracketed(where, key))
        if len(text) > METADATA_VALUE_LENGTH:
            raise StripeError(400, f"Metadata values can have up to {METADATA_VALUE_LENGTH} characters.",
                              param=bracketed(where, key))
    return {key: (text or None) for key, text in value.items()}


def merged_metadata(current: dict, changes: dict | None) -> dict:
    """Stripe's metadata update: set the given keys, remove those given an empty value."""
    result = dict(current)
    for key, value in (changes or {}).items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


EXPAND = Param("expand")
METADATA = Param("metadata")
LIST_PARAMS = {"limit": Param("integer"), "starting_after": Param(), "ending_before": Param(), "expand": EXPAND,
               "created": Param("range")}
