"""Fixtures of the marketplace tests: the plugin with a stand-in for payments, leads, listing helpers."""
from __future__ import annotations

import pytest

from pc_app.testing import EVENT_RECORDER

HERE = __name__.rpartition(".")[0]
STAND_IN = {"marketplace_stand_in": f"{HERE}.stand_in_plugin", **EVENT_RECORDER}

FULL_ICP = {"industries": ["saas"], "company_sizes": ["51-200"], "countries": ["US"],
            "job_titles": ["sales"], "seniorities": ["vp"]}


@pytest.fixture
def app_config(app_config):
    # Only this plugin and the stand-in: other plugins' work in progress cannot change what we see.
    return {**app_config, "PC_PLUGINS": ["marketplace", "marketplace_stand_in", "event_recorder"],
            "PC_EXTRA_PLUGINS": dict(STAND_IN)}


@pytest.fixture
def vetoes(app):
    """``vetoes[partner_id] = [(check, sentence)]`` makes the stand-in veto that partner's listings."""
    app.extensions["marketplace_vetoes"] = {}
    return app.extensions["marketplace_vetoes"]


@pytest.fixture
def relationships(app):
    """``relationships[(listing_id, partner_id)] = "reserved" | "purchased"`` as payments would say."""
    app.extensions["marketplace_relationships"] = {}
    return app.extensions["marketplace_relationships"]


class Market:
    """Small verbs the tests repeat: make a lead, list it, browse, open a listing."""

    def __init__(self, app, client):
        self.app = app
        self.client = client
        self._n = 0

    def lead(self, actor, **fields) -> str:
        from pc_app.core.leads.services import create_lead

        self._n += 1
        data = {"first_name": "Jane", "last_name": "Doe", "email": f"lead{self._n}@example.com",
                "phone": "+14155550123", "company": "Acme", "job_title": "VP of Sales", "seniority": "vp",
                "industry": "saas", "company_size": "51-200", "country": "US"}
        data.update(fields)
        with self.app.app_context():
            return str(create_lead(actor.partner_id, data, f"user:{actor.id}").id)

    def list(self, actor, lead_id, price=5000):
        return self.client.post(f"/v1/marketplace/leads/{lead_id}/list", json={"price": price},
                                headers=actor.headers)

    def listed(self, actor, price=5000, **fields) -> dict:
        """Create a lead and list it; returns the listing as the API answered."""
        response = self.list(actor, self.lead(actor, **fields), price)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def browse(self, actor, **params):
        response = self.client.get("/v1/marketplace/leads", query_string=params, headers=actor.headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def open(self, actor, lead_id):
        return self.client.get(f"/v1/marketplace/leads/{lead_id}", headers=actor.headers)

    def my_listings(self, actor, **params):
        response = self.client.get("/v1/marketplace/my-listings", query_string=params, headers=actor.headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()


@pytest.fixture
def market(app, client, events, vetoes, relationships) -> Market:
    return Market(app, client)


@pytest.fixture
def seller(actors):
    return actors.partner_owner(name="Seller Co")


@pytest.fixture
def buyer(actors):
    return actors.partner_owner(name="Buyer Co", icp=FULL_ICP)
