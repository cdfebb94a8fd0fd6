"""A stored document read as its model reads it, for a schema to dump: a page's rows without building mongoengine instances.

Building a mongoengine instance runs its validating ``__setattr__`` for every field: 3.7 ms for
the 50 leads of a page, as much as reading them. A page is only dumped, so a ``StoredRow``
converts each stored value with the model field's own ``to_python``, exactly as the model
loads it (a missing field reads its default), into plain attributes. Anything that is not a
stored field (a property, a method) is asked of the real instance, built once on demand.
``ResponseSchema`` reads a row's attributes directly (``get_attribute``).
"""
from __future__ import annotations

from mongoengine.fields import BooleanField, IntField, StringField

_MISSING = object()
_FIELDS: dict = {}
# The stored type each of these fields' to_python gives back unchanged (a page of 50 leads has
# 900 strings: asking to_python about each one cost a fifth of building the rows).
_UNCHANGED = ((StringField, str), (IntField, int), (BooleanField, bool))


def _unchanged_type(field):
    """The stored type ``field.to_python`` returns as it is, when its class does not convert it otherwise."""
    for base, kind in _UNCHANGED:
        if isinstance(field, base) and type(field).to_python is base.to_python:
            return kind
    return None


def _fields_of(model) -> list[tuple]:
    """``(name, db_field, to_python, default, unchanged type)`` per field of ``model``, worked out once."""
    found = _FIELDS.get(model)
    if found is None:
        found = _FIELDS[model] = [(name, field.db_field, field.to_python, field.default, _unchanged_type(field))
                                  for name, field in model._fields.items()]
    return found


class StoredRow:
    """One stored document of ``model`` with its fields as attributes (see the module)."""

    def __init__(self, model, son: dict):
        values = self.__dict__
        for name, db_field, to_python, default, unchanged in _fields_of(model):
            value = son.get(db_field, _MISSING)
            if value is _MISSING:
                values[name] = default() if callable(default) else default
            elif value is None or type(value) is unchanged:
                values[name] = value
            else:
                values[name] = to_python(value)
        values["_StoredRow__model"], values["_StoredRow__son"] = model, son

    def __getattr__(self, name: str):
        # Only called for what is not a stored field.
        if name.startswith("__"):
            raise AttributeError(name)  # protocol probes: a row is not a mapping, nor anything else
        instance = self.__dict__.get("_StoredRow__instance")
        if instance is None:
            instance = self.__dict__["_StoredRow__instance"] = self.__model._from_son(self.__son)
        return getattr(instance, name)
