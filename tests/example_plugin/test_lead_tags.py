"""The example plugin of docs/plugins.md behaves as the walk-through says, through the real stack."""
import pytest

from pc_app.testing import EVENT_RECORDER

PLUGIN = {"lead_tags": "tests.example_plugin.lead_tags.plugin", **EVENT_RECORDER}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PC_PLUGINS": ["lead_tags", "event_recorder"], "PC_EXTRA_PLUGINS": dict(PLUGIN)}


@pytest.fixture
def owner(actors):
    return actors.partner_owner()


def new_lead(client, actor, email="ada@example.com") -> str:
    response = client.post("/v1/leads", headers=actor.headers, json={"firstName": "Ada", "email": email})
    assert response.status_code == 201
    return response.get_json()["id"]


def test_tagging_a_lead_emits_the_declared_event_once(client, owner, events):
    lead_id = new_lead(client, owner)
    for _ in range(2):
        response = client.post(f"/v1/lead-tags/{lead_id}", headers=owner.headers, json={"tag": "Hot"})
        assert response.status_code == 201 and response.get_json() == {"tags": ["hot"]}
    assert [e.payload for e in events.named("lead_tags.tag_added")] == [{"leadId": lead_id, "tag": "hot"}]


def test_the_fourth_tag_is_a_409_naming_the_rule(client, owner):
    lead_id = new_lead(client, owner)
    for tag in ("a", "b", "c"):
        client.post(f"/v1/lead-tags/{lead_id}", headers=owner.headers, json={"tag": tag})
    response = client.post(f"/v1/lead-tags/{lead_id}", headers=owner.headers, json={"tag": "d"})
    assert response.status_code == 409
    assert response.get_json()["errors"] == {"maxTags": ["A lead carries at most 3 tags; remove one first."]}
    assert client.get(f"/v1/lead-tags/{lead_id}", headers=owner.headers).get_json() == {"tags": ["a", "b", "c"]}


def test_another_partners_lead_is_404_and_a_bad_tag_422(client, owner, actors):
    lead_id = new_lead(client, owner)
    stranger = actors.partner_owner()
    response = client.post(f"/v1/lead-tags/{lead_id}", headers=stranger.headers, json={"tag": "mine"})
    assert response.status_code == 404 and response.get_json()["message"] == "No such lead."
    response = client.post(f"/v1/lead-tags/{lead_id}", headers=owner.headers, json={"tag": "no spaces"})
    assert response.status_code == 422 and list(response.get_json()["errors"]) == ["tag"]


def test_a_deleted_lead_loses_its_tags_through_the_durable_subscription(client, owner, jobs, app):
    from tests.example_plugin.lead_tags.models import LeadTag

    lead_id = new_lead(client, owner)
    client.post(f"/v1/lead-tags/{lead_id}", headers=owner.headers, json={"tag": "hot"})
    assert client.delete(f"/v1/leads/{lead_id}", headers=owner.headers).status_code == 204
    with app.app_context():
        assert LeadTag.objects(lead=lead_id).count() == 1  # not in the request: from a job
    jobs.run()
    with app.app_context():
        assert LeadTag.objects(lead=lead_id).count() == 0


def test_the_example_plugin_imports_only_the_toolkit():
    import ast
    from pathlib import Path

    for path in Path(__file__).parent.joinpath("lead_tags").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pc_app"):
                assert node.module in ("pc_app", "pc_app.toolkit"), f"{path.name} imports {node.module}"
