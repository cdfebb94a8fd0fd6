"""The HubSpot calls the sync makes for one partner, each one HTTP call (100 records at most), retried safely.

Every call goes through the HubSpot plugin's client factory (a fresh token, the portal's rate-limit
bucket, urllib3's retries of 429 and 5xx honouring ``Retry-After``). On top of that a call that still
fails with a 429, a 5xx or a timeout is tried again here (``SYNC_CALL_ATTEMPTS``, backoff from
``SYNC_RETRY_BASE_MS``) — except a create, which HubSpot may have executed before failing:
``MaybeCreated`` tells the caller to look for what it created (our marker property) first.
"""
from __future__ import annotations

import json
import logging
import time

from urllib3.exceptions import HTTPError as Urllib3Error

from plugins.hubspot import services as hubspot_services
from plugins.hubspot.services.client import RETRYABLE_STATUSES, UNPROCESSED_STATUSES
from pc_app.toolkit import config

from .deal_fields import CONTACT_PROPERTIES, DEAL_PROPERTIES, MARKER_PROPERTY

log = logging.getLogger("plugins.sync")

BATCH_LIMIT = 100


class HubSpotRefused(hubspot_services.HubSpotError):
    """HubSpot refused the call itself (a 4xx other than 429): retrying would not help."""
    status = 502

    def __init__(self, status: int, doing: str, body: str = ""):
        super().__init__(f"HubSpot refused the call ({status}) while {doing}.", f"refused_{status}")
        self.http_status, self.body = status, body


class MaybeCreated(Exception):
    """A create failed in a way that does not tell whether HubSpot executed it (5xx, timeout)."""

    def __init__(self, doing: str, status: int | None):
        self.sentence = (f"HubSpot answered {status}" if status else "HubSpot did not answer") + f" while {doing}"
        super().__init__(self.sentence)


def _retry_after(exc) -> float | None:
    headers = getattr(exc, "headers", None) or {}
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _error_ids(answer: dict, key: str = "ids") -> list[str]:
    """The ids a 207 batch answer reports as errors (missing records)."""
    ids = []
    for error in answer.get("errors") or []:
        ids += [str(i) for i in ((error or {}).get("context") or {}).get(key, [])]
    return ids


def _json(response) -> dict:
    """The body of an SDK call made with ``_preload_content=False``: HubSpot's JSON as it came.

    Batch answers of 100 records are read as plain dicts: the SDK's model objects cost about a
    millisecond per record (every timestamp parsed), which a sync of thousands of leads notices.
    """
    data = response.data
    return json.loads(data) if data else {}


class PortalApi:
    """The sync's view of one partner's portal."""

    def __init__(self, partner_id: str, sleep=time.sleep, heartbeat=None):
        """``heartbeat()`` is called before every attempt (a task keeps its lease with it, and stops there
        when another worker took it over)."""
        self.partner_id = str(partner_id)
        self.factory = hubspot_services.HubSpotClientFactory()
        self._sleep = sleep
        self._heartbeat = heartbeat or (lambda: None)

    # --- the one way a call is made -------------------------------------------------------------

    def call(self, operation, doing: str, *, creates: bool = False):
        """``operation(client)``, retried on 429/5xx/timeouts; creates raise ``MaybeCreated`` instead."""
        attempts = max(int(config("SYNC_CALL_ATTEMPTS")), 1)
        failure: Exception | None = None
        for attempt in range(1, attempts + 1):
            retry_after = None
            self._heartbeat()
            try:
                return self.factory.call(self.partner_id, operation, creates=creates)
            except hubspot_services.NotConnected:
                raise
            except hubspot_services.HubSpotError as exc:  # e.g. a token refresh that HubSpot failed
                failure = exc
            except Exception as exc:
                status = hubspot_services.api_status(exc)
                if status is not None and status not in RETRYABLE_STATUSES:
                    raise HubSpotRefused(status, doing, getattr(exc, "body", "") or "") from None
                if status is None and not isinstance(exc, (Urllib3Error, OSError)):
                    raise
                if creates and status not in UNPROCESSED_STATUSES:
                    log.warning("hubspot create may have happened while %s: status=%s error=%s", doing, status,
                                type(exc).__name__)
                    raise MaybeCreated(doing, status) from None
                failure = hubspot_services.upstream_failure(exc, doing)
                retry_after = _retry_after(exc)
            if attempt < attempts:
                self._sleep(self._delay(attempt, retry_after))
        raise failure

    @staticmethod
    def _delay(attempt: int, retry_after: float | None) -> float:
        base = config("SYNC_RETRY_BASE_MS") / 1000
        ceiling = config("SYNC_RETRY_MAX_MS") / 1000
        delay = min(base * 2 ** (attempt - 1), ceiling)
        return min(max(delay, retry_after or 0.0), ceiling)

    # --- properties -----------------------------------------------------------------------------

    def ensure_marker_property(self) -> None:
        """Create our ``pc_lead_id`` deal property unless the portal has it (HubSpot refuses unknown ones)."""
        from hubspot.crm.properties import PropertyCreate

        def ensure(client):
            api = client.crm.properties.core_api
            try:
                api.get_by_name("deals", MARKER_PROPERTY)
                return
            except Exception as exc:
                if hubspot_services.api_status(exc) != 404:
                    raise
            try:
                api.create("deals", PropertyCreate(
                    name=MARKER_PROPERTY, label="Partner Connector lead", type="string", field_type="text",
                    group_name="dealinformation", description="The Partner Connector lead this deal is kept in "
                                                              "step with. Set by Partner Connector; do not edit."))
            except Exception as exc:
                if hubspot_services.api_status(exc) != 409:  # created meanwhile by another worker
                    raise
        self.call(ensure, "creating the Partner Connector deal property")

    # --- deals ----------------------------------------------------------------------------------

    def search_modified_deals(self, pipeline_id: str, since_ms: int, after: str | None, limit: int):
        """Deals of our pipeline modified at or after ``since_ms``, oldest change first: ``(deals, next, total)``."""
        from hubspot.crm.deals import PublicObjectSearchRequest

        request = PublicObjectSearchRequest(
            filter_groups=[{"filters": [
                {"propertyName": "pipeline", "operator": "EQ", "value": str(pipeline_id)},
                {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": str(int(since_ms))}]}],
            sorts=[{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
            properties=DEAL_PROPERTIES, limit=limit, after=after)
        page = self.call(lambda c: _json(c.crm.deals.search_api.do_search(request, _preload_content=False)),
                         "searching changed deals")
        next_after = ((page.get("paging") or {}).get("next") or {}).get("after")
        return [(d["id"], d["properties"]) for d in page.get("results", [])], next_after, int(page.get("total", 0))

    def find_deals_by_marker(self, lead_ids: list[str]) -> dict:
        """``{lead id: (deal id, properties)}`` for deals carrying our marker (a create that may have happened)."""
        from hubspot.crm.deals import PublicObjectSearchRequest

        found = {}
        for start in range(0, len(lead_ids), BATCH_LIMIT):
            chunk = lead_ids[start:start + BATCH_LIMIT]
            request = PublicObjectSearchRequest(
                filter_groups=[{"filters": [{"propertyName": MARKER_PROPERTY, "operator": "IN", "values": chunk}]}],
                properties=DEAL_PROPERTIES, limit=200)
            page = self.call(lambda c, r=request: _json(c.crm.deals.search_api.do_search(r, _preload_content=False)),
                             "looking for created deals")
            for deal in page.get("results", []):
                found.setdefault(deal["properties"].get(MARKER_PROPERTY), (deal["id"], deal["properties"]))
        return found

    def read_deals(self, deal_ids: list[str]) -> tuple[dict, list[str]]:
        """``({deal id: properties}, missing ids)``; deleted deals are missing."""
        from hubspot.crm.deals import BatchReadInputSimplePublicObjectId

        found, missing = {}, []
        for start in range(0, len(deal_ids), BATCH_LIMIT):
            chunk = deal_ids[start:start + BATCH_LIMIT]
            request = BatchReadInputSimplePublicObjectId(inputs=[{"id": i} for i in chunk],
                                                         properties=DEAL_PROPERTIES, properties_with_history=[])
            answer = self.call(lambda c, r=request: _json(c.crm.deals.batch_api.read(r, _preload_content=False)),
                               "reading deals")
            found.update({d["id"]: d["properties"] for d in answer.get("results", [])})
            missing += _error_ids(answer)
        return found, missing

    def update_deals(self, changes: dict) -> tuple[dict, list[str], dict]:
        """Write ``{deal id: properties}``, 100 per call: ``(written {id: properties}, missing, refused {id: why})``.

        A batch HubSpot refuses as a whole (a 400 naming one bad input) is split until the bad
        deals are alone, so one deal cannot hold the others back.
        """
        written, missing, refused = {}, [], {}
        items = list(changes.items())
        for start in range(0, len(items), BATCH_LIMIT):
            self._update_chunk(items[start:start + BATCH_LIMIT], written, missing, refused)
        return written, missing, refused

    def _update_chunk(self, items, written, missing, refused) -> None:
        from hubspot.crm.deals import BatchInputSimplePublicObjectBatchInput

        request = BatchInputSimplePublicObjectBatchInput(
            inputs=[{"id": deal_id, "properties": props} for deal_id, props in items])
        try:
            answer = self.call(lambda c: _json(c.crm.deals.batch_api.update(request, _preload_content=False)),
                               "updating deals")
        except HubSpotRefused as refusal:
            if refusal.http_status != 400:
                raise
            if len(items) == 1:
                refused[items[0][0]] = _refusal_message(refusal)
                return
            middle = len(items) // 2
            self._update_chunk(items[:middle], written, missing, refused)
            self._update_chunk(items[middle:], written, missing, refused)
            return
        written.update({d["id"]: d["properties"] for d in answer.get("results", [])})
        missing += _error_ids(answer)

    def create_deals(self, inputs: list[dict]) -> dict:
        """Create deals (each with our marker), 100 per call: ``{lead id: (deal id, properties)}``.

        Raises ``MaybeCreated`` when HubSpot may have created some: look them up by marker, then retry.
        """
        from hubspot.crm.deals import BatchInputSimplePublicObjectBatchInputForCreate

        created = {}
        for start in range(0, len(inputs), BATCH_LIMIT):
            request = BatchInputSimplePublicObjectBatchInputForCreate(
                inputs=[{"properties": props, "associations": []} for props in inputs[start:start + BATCH_LIMIT]])
            answer = self.call(lambda c, r=request: _json(c.crm.deals.batch_api.create(r, _preload_content=False)),
                               "creating deals", creates=True)
            for deal in answer.get("results", []):
                created[deal["properties"].get(MARKER_PROPERTY)] = (deal["id"], deal["properties"])
        return created

    # --- contacts -------------------------------------------------------------------------------

    def contacts_by_email(self, emails: list[str]) -> dict:
        """``{e-mail: contact id}`` for the e-mails HubSpot knows (100 per call)."""
        from hubspot.crm.contacts import BatchReadInputSimplePublicObjectId

        found = {}
        for start in range(0, len(emails), BATCH_LIMIT):
            request = BatchReadInputSimplePublicObjectId(
                id_property="email", inputs=[{"id": e} for e in emails[start:start + BATCH_LIMIT]],
                properties=["email"], properties_with_history=[])
            answer = self.call(lambda c, r=request: _json(c.crm.contacts.batch_api.read(r, _preload_content=False)),
                               "finding contacts")
            found.update({(c["properties"].get("email") or "").lower(): c["id"] for c in answer.get("results", [])})
        return found

    def create_contacts(self, inputs: list[dict]) -> dict:
        """Create contacts, 100 per call: ``{e-mail: contact id}``; an existing e-mail raises ``HubSpotRefused(409)``."""
        from hubspot.crm.contacts import BatchInputSimplePublicObjectBatchInputForCreate

        created = {}
        for start in range(0, len(inputs), BATCH_LIMIT):
            request = BatchInputSimplePublicObjectBatchInputForCreate(
                inputs=[{"properties": props, "associations": []} for props in inputs[start:start + BATCH_LIMIT]])
            answer = self.call(lambda c, r=request: _json(c.crm.contacts.batch_api.create(r, _preload_content=False)),
                               "creating contacts", creates=True)
            created.update({(c["properties"].get("email") or "").lower(): c["id"] for c in answer.get("results", [])})
        return created

    def read_contacts(self, contact_ids: list[str]) -> dict:
        """``{contact id: properties}`` (100 per call)."""
        from hubspot.crm.contacts import BatchReadInputSimplePublicObjectId

        found = {}
        for start in range(0, len(contact_ids), BATCH_LIMIT):
            request = BatchReadInputSimplePublicObjectId(
                inputs=[{"id": i} for i in contact_ids[start:start + BATCH_LIMIT]], properties=CONTACT_PROPERTIES,
                properties_with_history=[])
            answer = self.call(lambda c, r=request: _json(c.crm.contacts.batch_api.read(r, _preload_content=False)),
                               "reading contacts")
            found.update({c["id"]: c["properties"] for c in answer.get("results", [])})
        return found

    # --- associations (v4) ----------------------------------------------------------------------

    def associate_deals_with_contacts(self, pairs: list[tuple[str, str]]) -> None:
        """The default deal→contact association for each ``(deal id, contact id)`` (idempotent at HubSpot)."""
        from hubspot.crm.associations.v4 import BatchInputPublicDefaultAssociationMultiPost

        for start in range(0, len(pairs), BATCH_LIMIT):
            request = BatchInputPublicDefaultAssociationMultiPost(
                inputs=[{"from": {"id": d}, "to": {"id": c}} for d, c in pairs[start:start + BATCH_LIMIT]])
            self.call(lambda cl, r=request: _json(cl.crm.associations.v4.batch_api.create_default(
                "deals", "contacts", r, _preload_content=False)), "associating deals with contacts")

    def contacts_of_deals(self, deal_ids: list[str]) -> dict:
        """``{deal id: [contact ids]}`` for the deals that have contacts (100 per call)."""
        from hubspot.crm.associations.v4 import BatchInputPublicFetchAssociationsBatchRequest

        found = {}
        for start in range(0, len(deal_ids), BATCH_LIMIT):
            request = BatchInputPublicFetchAssociationsBatchRequest(
                inputs=[{"id": i} for i in deal_ids[start:start + BATCH_LIMIT]])
            answer = self.call(lambda c, r=request: _json(c.crm.associations.v4.batch_api.get_page(
                "deals", "contacts", r, _preload_content=False)), "reading the deals' contacts")
            for row in answer.get("results", []):
                found[str(row["from"]["id"])] = [str(t["toObjectId"]) for t in row.get("to", [])]
        return found


def _refusal_message(refusal: HubSpotRefused) -> str:
    try:
        message = json.loads(refusal.body or "{}").get("message") or ""
    except ValueError:
        message = ""
    return f"HubSpot refused the deal ({refusal.http_status}): {message}"[:300]
