"""The Flask class of the app: Flask itself, asking once per handler whether it is a coroutine function."""
from __future__ import annotations

import inspect

from flask import Flask

# Functions whose answer is remembered, at most (handlers are registered once; this only guards
# against a caller handing Flask a new function on every request).
_REMEMBERED = 4096


class PartnerConnectorFlask(Flask):
    """Flask asks ``inspect.iscoroutinefunction`` every time it calls a view, a before- or
    after-request function or a teardown: 19 times for one signed-in browse, 48 µs of the
    request. The answer never changes for a function, so it is asked once (``ensure_sync`` is
    the documented place to change how handlers run)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._coroutine_functions: dict = {}

    def ensure_sync(self, func):
        key = getattr(func, "__func__", func)  # a bound method is its function's answer
        is_coroutine = self._coroutine_functions.get(key)
        if is_coroutine is None:
            is_coroutine = inspect.iscoroutinefunction(func)
            if len(self._coroutine_functions) < _REMEMBERED:
                self._coroutine_functions[key] = is_coroutine
        return self.async_to_sync(func) if is_coroutine else func
