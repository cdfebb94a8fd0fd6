"""The kit's ``database_unchanged``: refusal tests rely on it seeing any write."""
import pytest

from pc_app.testing import database_unchanged


def test_it_names_the_collection_a_request_changed(app, client, actors):
    owner = actors.partner_owner()
    with pytest.raises(AssertionError, match="changed leads"):
        with database_unchanged(app):
            client.post("/v1/leads", headers=owner.headers, json={"firstName": "A", "email": "a@example.com"})


def test_it_sees_an_update_as_well_as_an_insert(app, client, actors):
    owner = actors.partner_owner(name="Before")
    with pytest.raises(AssertionError, match="changed partners"):
        with database_unchanged(app):
            client.patch(f"/v1/partners/{owner.partner_id}", headers=owner.headers, json={"name": "After"})


def test_it_passes_when_nothing_was_written(app, client, actors):
    owner = actors.partner_owner()
    with database_unchanged(app):
        client.get("/v1/leads", headers=owner.headers)
