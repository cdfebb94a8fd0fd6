"""Fixtures of the activity tests: the plugin (with the marketplace and a payments stand-in), a recorder, helpers."""
from __future__ import annotations

import pytest

from pc_app.testing import EVENT_RECORDER

HERE = __name__.rpartition(".")[0]
EXTRA = {"payments_stand_in": f"{HERE}.payments_stand_in", **EVENT_RECORDER}


@pytest.fixture
def app_config(app_config):
    # The activity plugin needs no other; the marketplace and the stand-in give it real events to hear.
    return {**app_config, "PC_PLUGINS": ["activity", "marketplace", "payments_stand_in", "event_recorder"],
            "PC_EXTRA_PLUGINS": dict(EXTRA), "ACTIVITY_STREAM_HEARTBEAT_SECONDS": 0.2,
            "ACTIVITY_STREAM_MAX_SECONDS": 3.0, "WEBHOOKS_RETRY_BASE_SECONDS": 0.05,
            "ACTIVITY_PUBLIC_API_URL": "http://api.test"}


class Activities:
    """Small verbs the tests repeat: emit an event, fan out, read the feed."""

    def __init__(self, app, client, jobs):
        self.app, self.client, self.jobs = app, client, jobs

    def emit(self, name, partner_ids, payload, actor="system"):
        from pc_app.toolkit import emit

        with self.app.test_request_context():
            return emit(name, partner_ids=partner_ids, actor=actor, payload=payload)

    def fan_out(self) -> int:
        """Run the queued deliveries (fan-out, mail, webhooks) with a real worker."""
        return self.jobs.run()

    def feed(self, actor, **params) -> dict:
        response = self.client.get("/v1/activities", query_string=params, headers=actor.headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def unread(self, actor) -> int:
        return self.feed(actor, limit=1)["unreadCount"]


@pytest.fixture
def activities(app, client, jobs, events) -> Activities:
    return Activities(app, client, jobs)


@pytest.fixture
def seller(actors):
    return actors.partner_owner(name="Seller Co")


@pytest.fixture
def buyer(actors):
    return actors.partner_owner(name="Buyer Co", icp={"industries": ["saas"], "countries": ["US"]})
