"""In-memory state of the HubSpot sandbox: portals, OAuth grants, pipelines, deals, contacts and associations.

Everything lives behind one lock; HTTP handlers (``crm``, ``oauth``) translate between this
state and HubSpot's wire format. Faults, the call log and webhooks come from the sandbox kit.
"""
from __future__ import annotations

import datetime as dt
import secrets
import time
from dataclasses import asdict, dataclass, field

from ..kit import KitSettings, StandInState, stand_in_state

DEFAULT_SCOPES = ["oauth", "crm.objects.deals.read", "crm.objects.deals.write", "crm.schemas.deals.read",
                  "crm.schemas.deals.write"]

# HubSpot's default deal pipeline, present in every new portal.
DEFAULT_PIPELINE_STAGES = [
    ("appointmentscheduled", "Appointment Scheduled", "0.2", "false"),
    ("qualifiedtobuy", "Qualified To Buy", "0.4", "false"),
    ("presentationscheduled", "Presentation Scheduled", "0.6", "false"),
    ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8", "false"),
    ("contractsent", "Contract Sent", "0.9", "false"),
    ("closedwon", "Closed Won", "1.0", "true"),
    ("closedlost", "Closed Lost", "0.0", "true"),
]

# Properties HubSpot returns for a deal when the caller names none.
DEFAULT_DEAL_PROPERTIES = ("amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate",
                           "hs_object_id", "pipeline")
ALWAYS_RETURNED = ("createdate", "hs_lastmodifieddate", "hs_object_id")
# HubSpot's own deal properties; anything else must be created first (``/crm/v3/properties/deals``).
STANDARD_DEAL_PROPERTIES = frozenset(DEFAULT_DEAL_PROPERTIES + (
    "closed_lost_reason", "closed_won_reason", "deal_currency_code", "dealtype", "description", "hs_priority",
    "hubspot_owner_id", "hs_next_step", "hs_forecast_probability"))

# Contacts: what HubSpot returns when the caller names no properties, and its own properties.
DEFAULT_CONTACT_PROPERTIES = ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname")
CONTACT_ALWAYS_RETURNED = ("createdate", "lastmodifieddate", "hs_object_id")
STANDARD_CONTACT_PROPERTIES = frozenset(DEFAULT_CONTACT_PROPERTIES + (
    "address", "city", "company", "country", "hubspot_owner_id", "jobtitle", "lifecyclestage", "mobilephone",
    "phone", "state", "website", "zip"))

# HubSpot's default association types between deals and contacts (v4 ``associationTypeId``).
DEAL_TO_CONTACT = 3
CONTACT_TO_DEAL = 4


def now() -> float:
    return time.time()


def iso(ts: float) -> str:
    """HubSpot's timestamp format: UTC with milliseconds and a Z."""
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{int(ts * 1000) % 1000:03d}Z"


@dataclass
class HubSpotSettings(KitSettings):
    """Knobs the admin API can change at run time."""
    client_id: str = "pc-sandbox-client"
    client_secret: str = "pc-sandbox-secret"
    app_secret: str = ""  # webhook signing secret; empty means the client secret (as HubSpot does)
    app_id: int = 424242
    access_token_ttl: int = 1800
    code_ttl: int = 600
    rate_limit_max: int = 110
    rate_limit_window: float = 10.0
    webhook_url: str = ""
    # "send" posts webhooks to webhook_url; "record" only signs and keeps them (tests replay them in-process).
    webhook_delivery: str = "send"
    # HubSpot also notifies changes made through the API (changeSource INTEGRATION), echoes of an app's own
    # writes included; off by default so a test sees only the "user" edits it made through the admin API.
    api_change_webhooks: bool = False
    # A search answers at most this many results, however it is paged (HubSpot: 10,000).
    search_result_cap: int = 10000

    FIELDS = {"accessTokenTtl": ("access_token_ttl", int), "codeTtl": ("code_ttl", int),
              "rateLimitMax": ("rate_limit_max", int), "rateLimitWindowSeconds": ("rate_limit_window", float),
              "webhookUrl": ("webhook_url", str), "appSecret": ("app_secret", str),
              "webhookDelivery": ("webhook_delivery", str), "apiChangeWebhooks": ("api_change_webhooks", bool),
              "searchResultCap": ("search_result_cap", int), **KitSettings.FIELDS}
    SECRET_FIELDS = ("appSecret",)

    def change(self, values: dict) -> str:
        if "webhookDelivery" in values and values["webhookDelivery"] not in ("send", "record"):
            return "webhookDelivery must be send or record."
        if "searchResultCap" in values and (not isinstance(values["searchResultCap"], int)
                                            or values["searchResultCap"] < 1):
            return "searchResultCap must be a positive integer."
        return super().change(values)

    def signing_secret(self) -> str:
        return self.app_secret or self.client_secret

    def as_dict(self) -> dict:
        return {"clientId": self.client_id, "appId": self.app_id, **super().as_dict()}


@dataclass
class AuthCode:
    code: str
    hub_id: int
    client_id: str
    redirect_uri: str
    scopes: list[str]
    user: str
    expires_at: float
    used: bool = False


@dataclass
class AccessToken:
    token: str
    hub_id: int
    scopes: list[str]
    user: str
    expires_at: float


@dataclass
class RefreshToken:
    token: str
    hub_id: int
    scopes: list[str]
    user: str
    client_id: str
    active: bool = True
    revoked: bool = False  # revoked by DELETE (as opposed to rotated away)


@dataclass
class Portal:
    hub_id: int
    pipelines: dict[str, dict] = field(default_factory=dict)
    deals: dict[str, dict] = field(default_factory=dict)
    call_times: list[float] = field(default_factory=list)
    contacts: dict[str, dict] = field(default_factory=dict)
    # deal id -> contact ids (the default deal-to-contact association, both directions at once)
    deal_contacts: dict[str, list[str]] = field(default_factory=dict)
    # object type ("deals", "contacts") -> custom property name -> definition
    custom_properties: dict[str, dict] = field(default_factory=dict)

    def contact_by_email(self, email: str) -> dict | None:
        """The live contact with this e-mail (an index kept beside the data, rebuilt when it is stale)."""
        wanted = (email or "").strip().lower()
        index = getattr(self, "_email_index", None)
        if index is None or index[0] != len(self.contacts):
            index = (len(self.contacts), {})
            for contact in self.contacts.values():
                index[1].setdefault((contact["properties"].get("email") or "").lower(), []).append(contact)
            self._email_index = index
        for contact in index[1].get(wanted, []):
            if not contact["archived"] and (contact["properties"].get("email") or "").lower() == wanted:
                return contact
        return None

    def add_contact(self, contact: dict) -> None:
        """Store a new contact, adding it to a current e-mail index rather than making it stale
        (a seed of 50,000 contacts would otherwise rebuild the index once per contact)."""
        self.contacts[contact["id"]] = contact
        index = getattr(self, "_email_index", None)
        if index is not None and index[0] == len(self.contacts) - 1:
            index[1].setdefault((contact["properties"].get("email") or "").lower(), []).append(contact)
            self._email_index = (len(self.contacts), index[1])

    def contacts_changed(self) -> None:
        """Forget the e-mail index (a contact's e-mail may have changed)."""
        self._email_index = None

    def known_properties(self, object_type: str) -> frozenset:
        standard = STANDARD_DEAL_PROPERTIES if object_type == "deals" else STANDARD_CONTACT_PROPERTIES
        return standard | frozenset(self.custom_properties.get(object_type, {}))

    def associate(self, deal_id: str, contact_id: str) -> None:
        linked = self.deal_contacts.setdefault(str(deal_id), [])
        if str(contact_id) not in linked:
            linked.append(str(contact_id))

    def contacts_of(self, deal_id: str) -> list[str]:
        return list(self.deal_contacts.get(str(deal_id), []))

    def deals_of(self, contact_id: str) -> list[str]:
        return [deal_id for deal_id, contacts in self.deal_contacts.items() if str(contact_id) in contacts]


class HubSpotState(StandInState):
    """All portals and grants of one sandbox process; every method takes the lock."""

    settings: HubSpotSettings

    def reset_data(self) -> None:
        self.portals: dict[int, Portal] = {}
        self.codes: dict[str, AuthCode] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.counters = {"id": 1000, "hub": 9000001, "event": 100001}

    def snapshot(self) -> dict:
        return {"portals": [asdict(p) for p in self.portals.values()],
                "codes": [asdict(c) for c in self.codes.values()],
                "accessTokens": [asdict(a) for a in self.access_tokens.values()],
                "refreshTokens": [asdict(r) for r in self.refresh_tokens.values()],
                "counters": dict(self.counters)}

    def restore(self, data: dict) -> None:
        with self.lock:
            self.portals = {p["hub_id"]: Portal(**p) for p in data.get("portals", [])}
            self.codes = {c["code"]: AuthCode(**c) for c in data.get("codes", [])}
            self.access_tokens = {a["token"]: AccessToken(**a) for a in data.get("accessTokens", [])}
            self.refresh_tokens = {r["token"]: RefreshToken(**r) for r in data.get("refreshTokens", [])}
            self.counters.update(data.get("counters", {}))

    # --- ids ----------------------------------------------------------------------------------

    def _next(self, counter: str) -> int:
        with self.lock:
            value = self.counters[counter]
            self.counters[counter] += 1
            return value

    def next_id(self) -> str:
        return str(self._next("id"))

    def next_event_id(self) -> int:
        return self._next("event")

    # --- portals ------------------------------------------------------------------------------

    def portal(self, hub_id: int | None = None) -> Portal:
        """The portal with this hub id, created on first mention (a fresh one when None)."""
        with self.lock:
            if hub_id is None:
                hub_id = self._next("hub")
                while hub_id in self.portals:
                    hub_id = self._next("hub")
            if hub_id not in self.portals:
                portal = Portal(hub_id)
                self._add_default_pipeline(portal)
                self.portals[hub_id] = portal
            return self.portals[hub_id]

    def _add_default_pipeline(self, portal: Portal) -> None:
        ts = now()
        stages = [self.make_stage(stage_id, label, i, {"probability": prob, "isClosed": closed}, ts)
                  for i, (stage_id, label, prob, closed) in enumerate(DEFAULT_PIPELINE_STAGES)]
        portal.pipelines["default"] = {"id": "default", "label": "Sales Pipeline", "displayOrder": 0,
                                       "stages": stages, "createdAt": iso(ts), "updatedAt": iso(ts),
                                       "archived": False}

    @staticmethod
    def make_stage(stage_id: str, label: str, order: int, metadata: dict, ts: float) -> dict:
        return {"id": stage_id, "label": label, "displayOrder": order,
                "metadata": {k: str(v) for k, v in metadata.items()}, "createdAt": iso(ts), "updatedAt": iso(ts),
                "archived": False, "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT"}

    # --- OAuth --------------------------------------------------------------------------------

    def issue_code(self, hub_id: int, client_id: str, redirect_uri: str, scopes: list[str], user: str) -> str:
        with self.lock:
            self.portal(hub_id)
            code = secrets.token_urlsafe(24)
            self.codes[code] = AuthCode(code, hub_id, client_id, redirect_uri, scopes, user,
                                        now() + self.settings.code_ttl)
            return code

    def redeem_code(self, code: str, client_id: str, redirect_uri: str) -> AuthCode | None:
        """A code works once, before it expires, for the app and redirect URI it was issued to."""
        with self.lock:
            grant = self.codes.get(code)
            if grant is None or grant.used or grant.expires_at < now() or grant.client_id != client_id \
                    or grant.redirect_uri != redirect_uri:
                return None
            grant.used = True
            return grant

    def issue_tokens(self, hub_id: int, scopes: list[str], user: str, client_id: str) -> tuple[AccessToken, str]:
        with self.lock:
            access = AccessToken("sbx-" + secrets.token_urlsafe(32), hub_id, list(scopes), user,
                                 now() + self.settings.access_token_ttl)
            self.access_tokens[access.token] = access
            refresh = "na1-" + secrets.token_hex(4) + "-" + secrets.token_urlsafe(24)
            self.refresh_tokens[refresh] = RefreshToken(refresh, hub_id, list(scopes), user, client_id)
            return access, refresh

    def rotate_refresh_token(self, token: str, client_id: str) -> tuple[AccessToken, str] | None:
        """Refresh grants rotate: the presented refresh token stops working, a new one is issued."""
        with self.lock:
            grant = self.refresh_tokens.get(token)
            if grant is None or not grant.active or grant.client_id != client_id:
                return None
            grant.active = False
            return self.issue_tokens(grant.hub_id, grant.scopes, grant.user, client_id)

    def revoke_refresh_token(self, token: str) -> bool:
        with self.lock:
            grant = self.refresh_tokens.get(token)
            if grant is None or not grant.active:
                return False
            grant.active = False
            grant.revoked = True
            return True

    def valid_access_token(self, token: str) -> tuple[AccessToken | None, str]:
        """The token and "" when usable, else None and why ("missing", "unknown", "expired")."""
        with self.lock:
            if not token:
                return None, "missing"
            grant = self.access_tokens.get(token)
            if grant is None:
                return None, "unknown"
            if grant.expires_at <= now():
                return None, "expired"
            return grant, ""

    def expire_access_tokens(self, token: str | None = None, hub_id: int | None = None) -> int:
        with self.lock:
            expired = 0
            for grant in self.access_tokens.values():
                if (token and grant.token == token) or (hub_id is not None and grant.hub_id == hub_id):
                    grant.expires_at = now() - 1
                    expired += 1
            return expired

    # --- rate limit ---------------------------------------------------------

    def take_rate_limit(self, hub_id: int) -> tuple[bool, int, float]:
        """Count one call against the portal's rolling window: (allowed, remaining, retry_after)."""
        with self.lock:
            portal = self.portal(hub_id)
            window, limit = self.settings.rate_limit_window, self.settings.rate_limit_max
            t = now()
            portal.call_times = [c for c in portal.call_times if c > t - window]
            if len(portal.call_times) >= limit:
                return False, 0, max(portal.call_times[0] + window - t, 0.0)
            portal.call_times.append(t)
            return True, limit - len(portal.call_times), 0.0

    # --- deals --------------------------------------------------------------------------------

    def touch_deal(self, deal: dict, changes: dict) -> None:
        """Apply property changes the way HubSpot does: strings, with the modified date maintained."""
        ts = now()
        for name, value in changes.items():
            deal["properties"][name] = None if value is None else str(value)
        deal["properties"]["hs_lastmodifieddate"] = iso(ts)
        deal["updatedAt"] = iso(ts)
        deal["modifiedTs"] = ts

    def new_deal(self, portal: Portal, properties: dict) -> dict:
        ts = now()
        deal_id = self.next_id()
        deal = {"id": deal_id, "properties": {}, "createdAt": iso(ts), "updatedAt": iso(ts), "archived": False,
                "modifiedTs": ts}
        props = {"pipeline": "default", **properties}
        if "dealstage" not in props:
            first = portal.pipelines.get(props["pipeline"], {}).get("stages") or [{"id": "appointmentscheduled"}]
            props["dealstage"] = first[0]["id"]
        self.touch_deal(deal, props)
        deal["properties"].update({"createdate": iso(ts), "hs_object_id": deal_id})
        portal.deals[deal_id] = deal
        return deal


    # --- contacts -----------------------------------------------------------------------------

    def new_contact(self, portal: Portal, properties: dict) -> dict:
        ts = now()
        contact_id = self.next_id()
        contact = {"id": contact_id, "properties": {}, "createdAt": iso(ts), "updatedAt": iso(ts),
                   "archived": False}
        self.touch_contact(contact, properties, ts)
        contact["properties"].update({"createdate": iso(ts), "hs_object_id": contact_id})
        portal.add_contact(contact)
        return contact

    @staticmethod
    def touch_contact(contact: dict, changes: dict, ts: float | None = None) -> None:
        """Apply property changes; e-mail addresses are kept lower-case (HubSpot matches them so)."""
        ts = now() if ts is None else ts
        for name, value in changes.items():
            text = None if value is None else str(value)
            contact["properties"][name] = text.lower() if name == "email" and text else text
        contact["properties"]["lastmodifieddate"] = iso(ts)
        contact["updatedAt"] = iso(ts)


def sandbox_state() -> HubSpotState:
    """The state of the sandbox handling the current request."""
    return stand_in_state()
