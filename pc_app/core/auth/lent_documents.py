"""Documents built from kept bytes, lent to one request at a time and lent again while Redis holds the same bytes.

Building the signed-in user and partner with mongoengine's ``_from_son`` was the dearest part of
a kept request left in process (about 110 µs of 1.2 ms). A worker serves the same few users again
and again, so it holds each document it built, with the bytes it was built from, and lends it to
the next request that finds the very same bytes in Redis: equal bytes are the same stored state.

A held document is lent to one request at a time and given back when the request ends
(``give_back``, at teardown), so two threads never share one: a request that finds it lent builds
its own. One that comes back with a change its request did not save (a failed validation, say) is
built again: mongoengine marks every change to a field, a list or an embedded document
(``_get_changed_fields``). A saved change writes the document, which changes its kept bytes.
Outside a request (a job, a shell) nothing is lent or held.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable

from flask import current_app, has_request_context, request

from ...bounded_memory import BoundedMemory

_EXTENSION = "pc.lent_documents"
_LENT = "pc.lent_documents.lent"


class _Held:
    __slots__ = ("kept", "document", "lent")

    def __init__(self, kept: bytes, document):
        self.kept, self.document, self.lent = kept, document, True


class LentDocuments(BoundedMemory):
    """The documents this process built from kept bytes, oldest first, at most ``size``."""

    SIZE = 1024  # per app and process: a few KB each, one per recently signed-in user and partner

    def borrow(self, key: Hashable, kept: bytes, build: Callable):
        """The document ``kept`` holds, for this request only: the held one if free and unchanged, else ``build()``."""
        with self.lock:
            held = self.entries.get(key)
            free = held is not None and not held.lent and held.kept == kept
            if free:
                held.lent = True
        if free and not held.document._get_changed_fields():
            _lent_to_this_request().append(held)
            return held.document
        try:
            document = build()
        except BaseException:
            if free:
                self.give_back([held])  # taken only to be replaced: the next request may try again
            raise
        built = _Held(kept, document)
        with self.lock:
            current = self.entries.get(key)
            if current is None or not current.lent or (free and current is held):
                self.put_locked(key, built)  # re-inserted last: the oldest go first
            else:
                return document  # another request has the held one: this one is only this request's
        _lent_to_this_request().append(built)
        return document

    def give_back(self, held: list[_Held]) -> None:
        with self.lock:
            for entry in held:
                entry.lent = False


def _lent_to_this_request() -> list[_Held]:
    return request.environ.setdefault(_LENT, [])


def of_app(app) -> LentDocuments:
    """The app's held documents (``install`` made them)."""
    return app.extensions[_EXTENSION]


def borrow(key: Hashable, kept: bytes, build: Callable):
    """The document built from ``kept`` (see ``LentDocuments.borrow``); outside a request, always ``build()``."""
    if not has_request_context():
        return build()
    return of_app(current_app).borrow(key, kept, build)


def install(app) -> None:
    """Hold the app's documents, and give back what each request borrowed when it ends, whatever its outcome."""
    held = app.extensions[_EXTENSION] = LentDocuments()

    @app.teardown_request
    def _give_back_lent_documents(_exc=None):
        lent = request.environ.pop(_LENT, None)
        if lent:
            held.give_back(lent)
