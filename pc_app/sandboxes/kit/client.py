"""``AdminClient``: the base of every stand-in's client for its ``/_sandbox`` admin API."""
from __future__ import annotations

import requests


class AdminClient:
    """Steers one running stand-in; a failed admin call raises AssertionError with the answer."""

    scope_param: str | None = None  # the stand-in's name for a fault's scope (``portal``, ``account``)

    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        self.http = requests.Session()

    def _call(self, method: str, path: str, expected=(200, 201, 204), **kwargs):
        response = self.http.request(method, f"{self.base_url}/_sandbox{path}", timeout=65, **kwargs)
        if response.status_code not in expected:
            raise AssertionError(f"sandbox {method} {path} answered {response.status_code}: {response.text[:300]}")
        return response.json() if response.content else None

    def reset(self) -> None:
        """Forget all data, faults, calls and deliveries; settings as at process start."""
        self._call("POST", "/reset")

    def configure(self, **settings) -> dict:
        """Change settings by their camelCase names; returns them all."""
        return self._call("PATCH", "/config", json=settings)

    def config(self) -> dict:
        return self._call("GET", "/config")

    def calls(self, **filters) -> list[dict]:
        """Calls received, oldest first, filtered by any of their fields (``route``/``path`` as prefixes)."""
        return self._call("GET", "/calls", params=filters)["calls"]

    def _fault(self, scope=None, **fields) -> None:
        body = {k: v for k, v in fields.items() if v is not None}
        if scope is not None and self.scope_param:
            body[self.scope_param] = scope
        self._call("POST", "/faults", json=body)

    def fail_next(self, status: int, count: int | None = 1, path: str | None = None, retry_after: int | None = None,
                  scope=None) -> None:
        """The next ``count`` calls on ``path`` (a prefix) answer ``status``; ``count=None``: until cleared."""
        self._fault(scope, status=status, count=count, path=path, retryAfter=retry_after)

    def fail_fraction(self, status: int, fraction: float, path: str | None = None, count: int | None = None,
                      scope=None) -> None:
        """That share of the calls on ``path`` answer ``status``, spread evenly (0.5: every second call)."""
        self._fault(scope, status=status, fraction=fraction, path=path, count=count)

    def hold_next(self, count: int | None = 1, path: str | None = None, hold_ms: int | None = None,
                  scope=None) -> None:
        """The next calls on ``path`` get no answer for ``hold_ms`` (default 30 s): clients time out."""
        self._fault(scope, timeout=True, timeoutMs=hold_ms, count=count, path=path)

    def add_latency(self, latency_ms: int, count: int | None = None, path: str | None = None, scope=None) -> None:
        """Calls on ``path`` wait ``latency_ms`` before being handled (``count=None``: until cleared)."""
        self._fault(scope, latencyMs=latency_ms, count=count, path=path)

    def faults(self) -> list[dict]:
        return self._call("GET", "/faults")["faults"]

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def webhook_deliveries(self, **labels) -> list[dict]:
        """Every delivery with its attempts, body and signed headers."""
        return self._call("GET", "/webhooks", params=labels)["deliveries"]

    def wait_for_webhooks(self, timeout: float = 10) -> bool:
        """Wait until no delivery is pending; False when ``timeout`` seconds passed first."""
        return self._call("POST", "/webhooks/wait", json={"timeoutSeconds": timeout})["idle"]

    def drain_recorded_webhooks(self, **labels) -> list[dict]:
        """Recorded deliveries not handed out before (body and signed headers), oldest first."""
        return self._call("POST", "/webhooks/drain", json=labels)["deliveries"]

    def state(self) -> dict:
        """All data, as the JSON snapshot holds it."""
        return self._call("GET", "/state")
