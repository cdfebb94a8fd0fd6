"""Start the sandbox as its own process and steer it over HTTP (``SandboxAdmin``)."""
from __future__ import annotations

import sys
from pathlib import Path

import requests

from .. import devstack


def start_sandbox(workdir: Path, port: int | None = None, *, client_id: str | None = None,
                  client_secret: str | None = None, app_secret: str = "", webhook_url: str = "",
                  ) -> devstack.RunningService:
    """``python -m pc_app.sandbox`` on a free loopback port; stopped at exit like the other services."""
    port = port or devstack.free_port()
    cmd = [sys.executable, "-m", "pc_app.sandbox", "--port", str(port)]
    for flag, value in (("--client-id", client_id), ("--client-secret", client_secret),
                        ("--app-secret", app_secret), ("--webhook-url", webhook_url)):
        if value:
            cmd += [flag, value]
    return devstack._spawn("hubspot-sandbox", cmd, port, workdir, f"http://127.0.0.1:{port}")


class SandboxAdmin:
    """A small client for the sandbox's ``/_sandbox`` admin API."""

    def __init__(self, base_url: str, client_id: str = "pc-sandbox-client", client_secret: str = "pc-sandbox-secret"):
        self.base_url = base_url.rstrip("/")
        self.client_id, self.client_secret = client_id, client_secret
        self.http = requests.Session()

    def _call(self, method: str, path: str, expected=(200, 201, 204), **kwargs):
        response = self.http.request(method, f"{self.base_url}/_sandbox{path}", timeout=15, **kwargs)
        if response.status_code not in expected:
            raise AssertionError(f"sandbox {method} {path} answered {response.status_code}: {response.text[:300]}")
        return response.json() if response.content else None

    def reset(self) -> None:
        self._call("POST", "/reset")

    def configure(self, **settings) -> dict:
        """e.g. ``configure(accessTokenTtl=540, rateLimitMax=5, webhookUrl=..., appSecret=...)``."""
        return self._call("PATCH", "/config", json=settings)

    def create_portal(self, hub_id: int | None = None) -> int:
        return self._call("POST", "/portals", json={"hubId": hub_id} if hub_id else {})["hubId"]

    def portal(self, hub_id: int) -> dict:
        return self._call("GET", f"/portals/{hub_id}")

    def calls(self, **filters) -> list[dict]:
        """Calls received, filtered by ``portal``, ``route`` (prefix) or ``method``."""
        return self._call("GET", "/calls", params=filters)["calls"]

    def fail_next(self, status: int, count: int | None = 1, path: str | None = None, portal: int | None = None,
                  retry_after: int | None = None) -> None:
        self._call("POST", "/faults", json={"status": status, "count": count, "path": path, "portal": portal,
                                            "retryAfter": retry_after})

    def add_latency(self, latency_ms: int, count: int | None = None, path: str | None = None) -> None:
        self._call("POST", "/faults", json={"latencyMs": latency_ms, "count": count, "path": path})

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def expire_tokens(self, access_token: str | None = None, portal: int | None = None) -> int:
        return self._call("POST", "/tokens/expire", json={"accessToken": access_token, "portal": portal})["expired"]

    def user_creates_deal(self, hub_id: int, properties: dict, **options) -> dict:
        return self._call("POST", f"/portals/{hub_id}/deals", json={"properties": properties, **options})

    def user_changes_deal(self, hub_id: int, deal_id: str, properties: dict, **options) -> dict:
        """Edit a deal as a HubSpot user; the signed webhook goes to ``webhookUrl`` (or the configured one)."""
        return self._call("POST", f"/portals/{hub_id}/deals/{deal_id}/user-change",
                          json={"properties": properties, **options})

    def webhook_deliveries(self) -> list[dict]:
        return self._call("GET", "/webhooks")["deliveries"]

    def authorize_url(self, redirect_uri: str, state: str = "", portal: int | None = None, scope: str = "oauth") -> str:
        from urllib.parse import urlencode

        params = {"client_id": self.client_id, "redirect_uri": redirect_uri, "scope": scope, "state": state}
        if portal:
            params["portal"] = portal
        return f"{self.base_url}/oauth/authorize?{urlencode(params)}"
