"""Every list that keeps its JSON answer (page_answer, browse) serves a repeat from Redis until a write to what it shows."""
import pytest
from bson import ObjectId

# (path, the collection whose write must end the kept answer, who asks, what a repeat still reads)
KEPT_LISTS = [
    ("/v1/leads", "leads", "partner_owner", []),
    ("/v1/users", "users", "owner", []),
    ("/v1/partners", "partners", "owner", []),
    ("/v1/sync/tasks", "sync_tasks", "partner_owner", []),
    ("/v1/sync/conflicts", "sync_conflicts", "partner_owner", []),
    ("/v1/marketplace/purchases", "payments_purchases", "partner_owner", []),
    ("/v1/invoices", "payments_invoices", "partner_owner", []),
    # the endpoint, looked up to check it is the partner's before its deliveries are shown
    ("/v1/partners/{partner}/webhooks/{endpoint}/deliveries", "activity_webhook_deliveries", "partner_owner", ["find"]),
    ("/v1/marketplace/leads", "leads", "partner_owner", []),  # browse: the buyer's owned e-mails
]


def _get(client, db_commands, path, actor):
    with db_commands:
        response = client.get(path, headers=actor.headers)
    assert response.status_code == 200, response.get_json()
    return response.data, list(db_commands.commands)


@pytest.mark.parametrize("path, collection, role, checks", KEPT_LISTS)
def test_a_repeated_list_costs_no_read_until_a_write_to_its_collection(app, client, actors, db_commands,
                                                                      path, collection, role, checks):
    from pc_app.db import database

    actor = actors.owner() if role == "owner" else actors.partner_owner(icp={"industries": ["saas"]})
    if "{endpoint}" in path:
        created = client.post(f"/v1/partners/{actor.partner_id}/webhooks", headers=actor.headers,
                              json={"url": "https://hooks.example.com/pc", "eventTypes": ["*"]})
        assert created.status_code == 201, created.get_json()
        path = path.format(partner=actor.partner_id, endpoint=created.get_json()["id"])
    first, commands = _get(client, db_commands, path, actor)
    assert "aggregate" in commands or "find" in commands
    again, commands = _get(client, db_commands, path, actor)
    assert (again, commands) == (first, checks)
    # A write to the collection that changes no document still ends what was kept: the version moved.
    with app.app_context():
        database()[collection].delete_many({"_id": ObjectId()})
    after, commands = _get(client, db_commands, path, actor)
    assert after == first and len(commands) > len(checks)
