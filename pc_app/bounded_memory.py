"""A process's bounded memory of recent entries (verified tokens, lent documents, parsed query strings), oldest dropped first."""
from __future__ import annotations

import threading
from collections.abc import Hashable


class BoundedMemory:
    """At most ``size`` entries, in the order they were put: putting one more drops the oldest.

    Reads are plain dict reads (one step under the GIL, so a request never waits on another to
    read); writes take ``lock``, which a subclass also takes around a read and a write that must
    go together (and then puts with ``put_locked``).
    """

    SIZE = 1024  # entries, unless a subclass or the caller says otherwise

    def __init__(self, size: int | None = None):
        self.size = self.SIZE if size is None else size
        self.entries: dict = {}
        self.lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.entries)

    def put(self, key: Hashable, value) -> None:
        with self.lock:
            self.put_locked(key, value)

    def put_locked(self, key: Hashable, value) -> None:
        """``put``, for a caller that holds ``lock``; the entry goes last, as the newest."""
        self.entries.pop(key, None)
        while len(self.entries) >= self.size:
            self.entries.pop(next(iter(self.entries)))
        self.entries[key] = value

    def drop(self, key: Hashable) -> None:
        with self.lock:
            self.entries.pop(key, None)
