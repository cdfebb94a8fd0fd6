"""Injected failures and latency: the next N calls, or a share of the calls, on a path."""
from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

TIMEOUT_HOLD_MS = 30000  # how long a "timeout" fault holds a call unless told otherwise


@dataclass
class Fault:
    """What happens to matching calls: answer ``status``, hold them (``timeout``), or only wait.

    ``count`` calls are affected (``None``: until cleared). With ``fraction`` (0 < f ≤ 1) only that
    share of matching calls is affected, spread evenly rather than at random so a test can count
    them: with 0.5, every second call.
    """
    status: int | None = None
    count: int | None = 1
    path_prefix: str = ""
    scope: str | None = None  # the stand-in's own partition: a HubSpot portal, a Stripe account
    latency_ms: int = 0
    retry_after: int | None = None
    timeout: bool = False
    timeout_ms: int = TIMEOUT_HOLD_MS
    fraction: float | None = None
    _share: float = 0.0

    def matches(self, path: str, scope: str | None) -> bool:
        if self.path_prefix and not path.startswith(self.path_prefix):
            return False
        return self.scope is None or self.scope == scope

    def as_dict(self) -> dict:
        view = {k: v for k, v in asdict(self).items() if not k.startswith("_")}
        return {"status": view["status"], "count": view["count"], "path": view["path_prefix"],
                "scope": view["scope"], "latencyMs": view["latency_ms"], "retryAfter": view["retry_after"],
                "timeout": view["timeout"], "timeoutMs": view["timeout_ms"], "fraction": view["fraction"]}


class FaultBook:
    """The faults in force, first added first matched; safe to use from every request thread."""

    def __init__(self):
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> int:
        with self._lock:
            self._faults.append(fault)
            return len(self._faults)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def list(self) -> list[dict]:
        with self._lock:
            return [f.as_dict() for f in self._faults]

    def take(self, path: str, scope: str | None) -> Fault | None:
        """The fault that applies to this call, if any; counts it against the fault's ``count``."""
        with self._lock:
            for fault in self._faults:
                if not fault.matches(path, scope):
                    continue
                if fault.fraction is not None:
                    fault._share += fault.fraction
                    if fault._share < 1:
                        continue
                    fault._share -= 1
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                return fault
            return None


def fault_from_request(body: dict, scope_param: str | None) -> tuple[Fault | None, str]:
    """A Fault from the admin API's JSON body, or None and why it is refused."""
    status = body.get("status")
    try:
        latency = int(body.get("latencyMs") or 0)
        timeout_ms = int(body.get("timeoutMs") or TIMEOUT_HOLD_MS)
        count = None if body.get("count") is None else int(body["count"])
        fraction = None if body.get("fraction") is None else float(body["fraction"])
        retry_after = None if body.get("retryAfter") is None else int(body["retryAfter"])
    except (TypeError, ValueError):
        return None, "latencyMs, timeoutMs, count and retryAfter must be numbers; fraction a number in (0, 1]."
    timeout = bool(body.get("timeout"))
    if status is None and not latency and not timeout:
        return None, "Give a status, a latencyMs, a timeout, or several."
    if status is not None and not (isinstance(status, int) and not isinstance(status, bool) and 400 <= status <= 599):
        return None, "status must be an HTTP error status (400-599)."
    if fraction is not None and not 0 < fraction <= 1:
        return None, "fraction must be in (0, 1]."
    if count is not None and count < 1:
        return None, "count must be at least 1 (leave it out for a fault that stays)."
    scope = body.get(scope_param) if scope_param else None
    return Fault(status=status, count=count, path_prefix=str(body.get("path") or ""),
                 scope=None if scope is None else str(scope), latency_ms=latency, retry_after=retry_after,
                 timeout=timeout, timeout_ms=timeout_ms, fraction=fraction), ""
