"""``HubSpotAdmin``: steer the HubSpot sandbox over its ``/_sandbox`` admin API."""
from __future__ import annotations

from urllib.parse import urlencode

from ..kit import AdminClient
from .state import HubSpotSettings

DEFAULTS = HubSpotSettings()


class HubSpotAdmin(AdminClient):
    """The kit's admin calls (faults scoped by ``portal``) plus portals, token expiry and a user's edits."""

    scope_param = "portal"

    def __init__(self, base_url: str, client_id: str = DEFAULTS.client_id, client_secret: str = DEFAULTS.client_secret):
        super().__init__(base_url)
        self.client_id, self.client_secret = client_id, client_secret

    def configure(self, **settings) -> dict:
        """e.g. ``configure(accessTokenTtl=540, rateLimitMax=5, webhookUrl=..., appSecret=...,
        webhookDelivery="record", apiChangeWebhooks=True, searchResultCap=1000)``."""
        return super().configure(**settings)

    def fail_next(self, status: int, count: int | None = 1, path: str | None = None, portal: int | None = None,
                  retry_after: int | None = None) -> None:
        """The next ``count`` calls (on ``path``, of ``portal``) answer ``status``; ``count=None``: until cleared."""
        super().fail_next(status, count=count, path=path, retry_after=retry_after, scope=portal)

    def hang_fraction(self, fraction: float, hold_ms: int, path: str | None = None,
                      portal: int | None = None) -> None:
        """That share of the calls on ``path`` gets no answer for ``hold_ms`` (then a 504, never executed)."""
        self._fault(portal, timeout=True, timeoutMs=hold_ms, fraction=fraction, path=path)

    def slow_fraction(self, latency_ms: int, fraction: float, path: str | None = None, portal: int | None = None,
                      count: int | None = None) -> None:
        """That share of the calls on ``path`` waits ``latency_ms`` before it is executed (0.5: every second);
        with ``count`` the fault is gone from ``faults()`` once that many calls were received."""
        self._fault(portal, latencyMs=latency_ms, fraction=fraction, path=path, count=count)

    def create_portal(self, hub_id: int | None = None) -> int:
        return self._call("POST", "/portals", json={"hubId": hub_id} if hub_id else {})["hubId"]

    def portal(self, hub_id: int) -> dict:
        return self._call("GET", f"/portals/{hub_id}")

    def expire_tokens(self, access_token: str | None = None, portal: int | None = None) -> int:
        return self._call("POST", "/tokens/expire", json={"accessToken": access_token, "portal": portal})["expired"]

    def user_creates_deal(self, hub_id: int, properties: dict, contact: dict | None = None, **options) -> dict:
        """Create a deal as a HubSpot user (with its ``contact``, found by e-mail or created, associated)."""
        body = {"properties": properties, **options}
        if contact:
            body["contact"] = contact
        return self._call("POST", f"/portals/{hub_id}/deals", json=body)

    def user_deletes_deal(self, hub_id: int, deal_id: str, **options) -> dict:
        """Delete a deal as a HubSpot user; a ``deal.deletion`` webhook follows."""
        return self._call("POST", f"/portals/{hub_id}/deals/{deal_id}/user-delete", json=options)

    def user_changes_deals(self, hub_id: int, changes: dict, deliver: bool = True) -> dict:
        """Edit many deals as HubSpot users: ``{deal id: properties}``; webhooks unless ``deliver=False``."""
        return self._call("POST", f"/portals/{hub_id}/deals/user-changes", json={
            "changes": [{"id": str(deal_id), "properties": props} for deal_id, props in changes.items()],
            "deliver": deliver})

    def seed_deals(self, hub_id: int, deals: list[dict]) -> list[str]:
        """Deals already in the portal (``[{properties, contact?}]``), created at once without webhooks."""
        return self._call("POST", f"/portals/{hub_id}/deals/bulk", json={"deals": deals})["ids"]

    def user_changes_deal(self, hub_id: int, deal_id: str, properties: dict, **options) -> dict:
        """Edit a deal as a HubSpot user; the signed webhook goes to ``webhookUrl`` (or the configured one)."""
        return self._call("POST", f"/portals/{hub_id}/deals/{deal_id}/user-change",
                          json={"properties": properties, **options})

    def authorize_url(self, redirect_uri: str, state: str = "", portal: int | None = None, scope: str = "oauth") -> str:
        params = {"client_id": self.client_id, "redirect_uri": redirect_uri, "scope": scope, "state": state}
        if portal:
            params["portal"] = portal
        return f"{self.base_url}/oauth/authorize?{urlencode(params)}"
