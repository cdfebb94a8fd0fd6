"""The call log: every call a stand-in answered, for tests to assert on (who called what, and the answer)."""
from __future__ import annotations

import datetime as dt
import threading

PREFIX_FILTERS = ("route", "path")


def utc_now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class CallLog:
    """Entries oldest first: ``method``, ``path``, ``route``, ``status``, ``at`` plus the stand-in's own fields."""

    def __init__(self):
        self._lock = threading.Lock()
        self._calls: list[dict] = []
        # Bumped by every clear: a call that began before it (a held call still sleeping) belongs
        # to the forgotten log, as the webhook sender's deliveries do.
        self.generation = 0

    def record(self, method: str, path: str, route: str, status: int, *, began_in: int | None = None,
               **details) -> None:
        """Keep one answered call, unless the log was cleared since it began (``began_in``: its generation)."""
        with self._lock:
            if began_in is not None and began_in != self.generation:
                return
            self._calls.append({"method": method, "path": path, "route": route, "status": status, **details,
                                "at": utc_now_iso()})

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
            self.generation += 1

    def matching(self, filters: dict) -> list[dict]:
        """Calls whose fields equal the filters (``route`` and ``path`` match as prefixes, ``method`` in any case)."""
        with self._lock:
            calls = list(self._calls)
        for key, wanted in filters.items():
            if key in PREFIX_FILTERS:
                calls = [c for c in calls if str(c.get(key, "")).startswith(wanted)]
            elif key == "method":
                calls = [c for c in calls if c["method"] == wanted.upper()]
            else:
                calls = [c for c in calls if _as_text(c.get(key)) == wanted]
        return calls


def _as_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
