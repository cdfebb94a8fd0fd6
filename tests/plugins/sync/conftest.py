"""Fixtures of the sync tests: the sync and HubSpot plugins against the HubSpot sandbox, at full speed.

The sandbox's rate limit and our bucket are raised (tests count calls, never wait for them), retry
backoffs are a millisecond, webhooks are recorded by the sandbox and replayed into the app in-process.
"""
from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from pc_app.testing import EVENT_RECORDER

REDIRECT_URI = "http://localhost/v1/integrations/hubspot/callback"
WEBHOOK_URL = "http://localhost/v1/integrations/hubspot/webhooks"
ENCRYPTION_KEY = "5a" * 32
FAST = {"HUBSPOT_RETRY_ATTEMPTS": 3, "HUBSPOT_RETRY_BACKOFF_MS": 1, "HUBSPOT_RETRY_MAX_DELAY_MS": 5,
        "HUBSPOT_RATE_LIMIT": 100000, "HUBSPOT_TIMEOUT_SECONDS": 5, "SYNC_RETRY_BASE_MS": 1, "SYNC_RETRY_MAX_MS": 5}
PLUGINS = ["hubspot", "sync", "event_recorder"]


@pytest.fixture
def app_config(app_config, hubspot_sandbox):
    return {**app_config, **hubspot_sandbox.app_settings, "PC_PLUGINS": list(PLUGINS),
            "PC_EXTRA_PLUGINS": dict(EVENT_RECORDER), "ENCRYPTION_KEY": ENCRYPTION_KEY,
            "HUBSPOT_REDIRECT_URI": REDIRECT_URI, **FAST}


@pytest.fixture
def sandbox(hubspot_sandbox):
    """The HubSpot sandbox, blank, unthrottled, recording its webhooks for ``world.deliver_webhooks()``."""
    hubspot_sandbox.admin.reset()
    hubspot_sandbox.admin.configure(rateLimitMax=100000, webhookUrl=WEBHOOK_URL, webhookDelivery="record")
    return hubspot_sandbox


class SyncWorld:
    """The verbs sync tests repeat: connect a partner, make leads, sync, look at both sides."""

    def __init__(self, app, client, sandbox, actors, jobs):
        self.app, self.client, self.sandbox, self.actors, self.jobs = app, client, sandbox, actors, jobs
        self.admin = sandbox.admin
        self._n = 0

    # --- HubSpot ----------------------------------------------------------------------------------

    def connect(self, actor=None, portal=None):
        """A partner owner (new unless given) whose portal is connected over OAuth, pipeline made; the first
        sync it triggers is left queued (``jobs`` not run). Returns ``(actor, hub id)``."""
        actor = actor or self.actors.partner_owner()
        portal = portal or self.admin.create_portal()
        answer = self.client.get("/v1/integrations/hubspot/authorize", query_string={"partnerId": actor.partner_id},
                                 headers=actor.headers)
        assert answer.status_code == 200, answer.get_json()
        consent = requests.get(answer.get_json()["authorizationUrl"], params={"portal": portal},
                               allow_redirects=False, timeout=10)
        callback = consent.headers["Location"][len("http://localhost"):]
        done = self.client.get(callback)
        query = parse_qs(urlparse(done.headers["Location"]).query)
        assert query["status"] == ["success"], query
        return actor, portal

    def stage(self, actor, status: str) -> str:
        return self.status(actor)["stageMapping"][status]

    def status(self, actor) -> dict:
        return self.client.get(f"/v1/integrations/hubspot/{actor.partner_id}/status", headers=actor.headers).get_json()

    def deals(self, portal, archived=False) -> list[dict]:
        return [d for d in self.admin.portal(portal)["deals"] if d["archived"] == archived]

    def deal_of(self, portal, lead_id) -> dict:
        [deal] = [d for d in self.deals(portal) if d["properties"].get("pc_lead_id") == lead_id]
        return deal

    def crm_calls(self, portal, since: int = 0, **filters) -> list[dict]:
        filters.setdefault("route", "/crm/")
        return self.admin.calls(portal=portal, **filters)[since:]

    def writes(self, portal, since: int = 0) -> list[dict]:
        """CRM calls that change data (searches and batch reads are POSTs too, but read)."""
        reads = ("/search", "/batch/read")
        return [c for c in self.crm_calls(portal, since) if c["method"] in ("POST", "PATCH", "PUT", "DELETE")
                and not c["route"].endswith(reads)]

    def deliver_webhooks(self):
        answers = self.sandbox.deliver_webhooks(self.client)
        assert all(a.status_code == 200 for a in answers), [a.get_json() for a in answers]
        return answers

    # --- leads ------------------------------------------------------------------------------------

    def leads(self, actor, count: int, **fields) -> list[str]:
        """``count`` leads of the actor's partner, inserted in one round trip; returns their ids in id order."""
        from pc_app.core.models import Lead

        docs = []
        for _ in range(count):
            self._n += 1
            values = {"first_name": "Jane", "last_name": f"Doe{self._n}", "email": f"lead{self._n}@example.com",
                      "company": f"Acme {self._n}", "deal_amount": 1000 * self._n + 50, "deal_status": "new",
                      "updated_by": f"user:{actor.id}", **fields}
            lead = Lead(partner=actor.partner_id, **values)
            lead.email_key = Lead.make_email_key(actor.partner_id, lead.email)
            docs.append(lead)
        with self.app.app_context():
            Lead._get_collection().insert_many([d.to_mongo() for d in docs])
        return sorted(d.id for d in docs)

    def lead(self, lead_id) -> dict:
        from pc_app.core.models import Lead

        with self.app.app_context():
            return Lead.objects(id=lead_id).get().to_mongo().to_dict()

    def edit_lead(self, actor, lead_id, **changes):
        answer = self.client.patch(f"/v1/leads/{lead_id}", json=changes, headers=actor.headers)
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()

    def link(self, lead_id, partner_id=None) -> dict:
        from plugins.sync.models import DealLink

        query = {"lead": lead_id} if partner_id is None else {"lead": lead_id, "partner": partner_id}
        with self.app.app_context():
            return DealLink.objects(**query).get().to_mongo().to_dict()

    # --- syncing ----------------------------------------------------------------------------------

    def trigger(self, actor, partner_id=None):
        return self.client.post(f"/v1/sync/{partner_id or actor.partner_id}/hubspot", headers=actor.headers)

    def sync(self, actor) -> dict:
        """Trigger a sync, run the queued jobs with a real worker, return the task as the API shows it."""
        answer = self.trigger(actor)
        assert answer.status_code == 202, answer.get_json()
        self.jobs.run(["sync"])
        return self.task(actor, answer.get_json()["taskId"])

    def task(self, actor, task_id) -> dict:
        answer = self.client.get(f"/v1/sync/tasks/{task_id}", headers=actor.headers)
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()

    def run_jobs(self):
        self.jobs.run(["sync"])

    def conflicts(self, actor, **query) -> list[dict]:
        answer = self.client.get("/v1/sync/conflicts", query_string=query, headers=actor.headers)
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()["items"]

    def resolve(self, actor, conflict_id, resolution, values=None):
        body = {"resolution": resolution}
        if values is not None:
            body["values"] = values
        return self.client.post(f"/v1/sync/conflicts/{conflict_id}/resolve", json=body, headers=actor.headers)


@pytest.fixture
def world(app, client, sandbox, actors, jobs) -> SyncWorld:
    return SyncWorld(app, client, sandbox, actors, jobs)


@pytest.fixture
def synced(world):
    """A connected partner whose 3 leads were synced once: ``(actor, portal, lead ids)``."""
    actor, portal = world.connect()
    lead_ids = world.leads(actor, 3)
    task = world.sync(actor)
    assert task["status"] == "completed" and task["counts"]["created"] == 3, task
    return actor, portal, lead_ids


def wait_until(predicate, timeout=20.0, interval=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
