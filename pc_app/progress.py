"""Progress of long command-line work (key rotation, rebuilds, imports), on stderr so stdout keeps the result.

On a terminal a bar is redrawn in place; elsewhere (a pod's log, CI) one plain line is written at
every tenth of the way, so a log shows the work advancing without a line per item.
"""
from __future__ import annotations

import sys
import time


class Progress:
    """``with Progress("re-encrypting tokens", total=n) as progress: ... progress.advance()``.

    :param label: what is being done, in a few words.
    :param total: how many items; may be set later with ``set_total`` (unknown: only a count is shown).
    :param stream: where to write (default ``sys.stderr`` at the time of each write).
    """

    WIDTH = 30
    REDRAW_SECONDS = 0.1

    def __init__(self, label: str, total: int | None = None, stream=None):
        self.label, self.total, self._stream = label, total, stream
        self.done = 0
        self._started = time.monotonic()
        self._last_draw = 0.0
        self._last_step = -1

    @property
    def stream(self):
        return self._stream or sys.stderr

    @property
    def interactive(self) -> bool:
        return bool(getattr(self.stream, "isatty", lambda: False)())

    def set_total(self, total: int) -> None:
        self.total = total

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self.interactive:
            now = time.monotonic()
            if now - self._last_draw >= self.REDRAW_SECONDS:
                self._last_draw = now
                self.stream.write("\r" + self._bar())
                self.stream.flush()
        elif self.total:
            step = self.done * 10 // self.total
            if step > self._last_step and step < 10:
                self._last_step = step
                self._line()

    def _percent(self) -> int:
        return min(100, self.done * 100 // self.total) if self.total else 0

    def _bar(self) -> str:
        if not self.total:
            return f"{self.label}: {self.done}"
        filled = self.WIDTH * min(self.done, self.total) // self.total
        return f"{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {self._percent():3d}% {self.done}/{self.total}"

    def _line(self, suffix: str = "") -> None:
        counted = f"{self.done}/{self.total} ({self._percent()}%)" if self.total else f"{self.done}"
        self.stream.write(f"{self.label}: {counted}{suffix}\n")
        self.stream.flush()

    def __enter__(self) -> Progress:
        self._started = time.monotonic()
        return self

    def __exit__(self, exc_type, *_exc) -> None:
        seconds = time.monotonic() - self._started
        if self.interactive:
            self.stream.write("\r" + self._bar() + "\n")
        self._line(f", {'stopped' if exc_type else 'done'} in {seconds:.1f} s")
