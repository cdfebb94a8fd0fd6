"""Round-trip budgets: a request costs a fixed number of database commands, whatever the page size."""
import pytest


def _seed_leads(app, partner_id, count):
    from pc_app.core.models import Lead

    with app.app_context():
        Lead.objects.insert([Lead(partner=partner_id, first_name=f"Lead{i}", email=f"lead{i}@example.com",
                                  email_key=Lead.make_email_key(partner_id, f"lead{i}@example.com"),
                                  notes=[]) for i in range(count)], load_bulk=False)


def _commands_for(client, db_commands, url, headers):
    with db_commands:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_json()
    return list(db_commands.commands), response.get_json()


def _signed_in_and_kept(client, actors):
    """A partner owner whose user and partner a first request has read (and kept until the next write to them)."""
    seller = actors.partner_owner()
    assert client.get("/v1/auth/me", headers=seller.headers).status_code == 200
    return seller


@pytest.mark.parametrize("page_size", [5, 100])
def test_lead_list_costs_two_commands_whatever_the_page_size(app, client, actors, db_commands, page_size):
    seller = _signed_in_and_kept(client, actors)
    _seed_leads(app, seller.partner_id, 120)
    commands, body = _commands_for(client, db_commands, f"/v1/leads?perPage={page_size}", seller.headers)
    assert len(body["items"]) == page_size and body["total"] == 120
    # the page (a pushed-down aggregation), the capped total; the signed-in user was kept
    assert commands == ["aggregate", "aggregate"]


def test_lead_list_with_filters_costs_the_same(app, client, actors, db_commands):
    seller = _signed_in_and_kept(client, actors)
    _seed_leads(app, seller.partner_id, 10)
    commands, _body = _commands_for(client, db_commands, "/v1/leads?perPage=5&dealStatus=new&q=lead"
                                    "&minDealAmount=0&sort=-dealAmount", seller.headers)
    assert commands == ["aggregate", "aggregate"]


def test_a_total_is_counted_once_until_the_next_write(app, client, actors, db_commands):
    from pc_app.core.models import Lead

    seller = _signed_in_and_kept(client, actors)
    _seed_leads(app, seller.partner_id, 30)
    url = "/v1/leads?perPage=10"
    assert _commands_for(client, db_commands, url, seller.headers)[0] == ["aggregate", "aggregate"]
    commands, body = _commands_for(client, db_commands, url + "&page=2", seller.headers)
    assert commands == ["aggregate"] and body["total"] == 30  # another page; the total came from Redis
    commands, body = _commands_for(client, db_commands, url, seller.headers)
    assert commands == [] and body["total"] == 30  # the same page again: its whole answer was kept
    # Any write to the collection ends the cached total and pages, however it is written: the API ...
    created = client.post("/v1/leads", json={"firstName": "New", "email": "new@example.com"}, headers=seller.headers)
    assert created.status_code == 201
    commands, body = _commands_for(client, db_commands, url, seller.headers)
    assert commands == ["aggregate", "aggregate"] and body["total"] == 31
    # ... or a raw conditional update by some job.
    with app.app_context():
        Lead._get_collection().update_one({"email": "new@example.com"}, {"$set": {"is_deleted": True}})
    commands, body = _commands_for(client, db_commands, url, seller.headers)
    assert commands == ["aggregate", "aggregate"] and body["total"] == 30
    # Another filter set is another count.
    commands, body = _commands_for(client, db_commands, url + "&dealStatus=new", seller.headers)
    assert commands == ["aggregate", "aggregate"] and body["total"] == 30


def test_a_page_that_ends_the_list_is_its_own_count(app, client, actors, db_commands):
    seller = _signed_in_and_kept(client, actors)
    _seed_leads(app, seller.partner_id, 12)
    commands, body = _commands_for(client, db_commands, "/v1/leads?perPage=5&page=3", seller.headers)
    assert commands == ["aggregate"]  # two of five rows: nothing lies beyond them
    assert (body["total"], body["totalCapped"], body["pages"], len(body["items"])) == (12, False, 3, 2)
    commands, body = _commands_for(client, db_commands, "/v1/leads?perPage=5&page=4", seller.headers)
    assert commands == ["aggregate", "aggregate"]  # an empty page past the end says nothing of the total
    assert (body["total"], body["items"]) == (12, [])


def test_me_reads_the_user_and_partner_once_until_they_change(client, actors, db_commands):
    owner = actors.partner_owner()
    commands, body = _commands_for(client, db_commands, "/v1/auth/me", owner.headers)
    assert body["partner"]["id"] == owner.partner_id
    assert commands == ["aggregate"]  # the user with their partner, in one round trip
    commands, again = _commands_for(client, db_commands, "/v1/auth/me", owner.headers)
    assert commands == [] and again == body  # both kept in Redis, fetched with the session check


def test_lead_detail_costs_one_command(app, client, actors, db_commands):
    seller = actors.partner_owner()
    _seed_leads(app, seller.partner_id, 1)
    lead_id = client.get("/v1/leads", headers=seller.headers).get_json()["items"][0]["id"]
    commands, _body = _commands_for(client, db_commands, f"/v1/leads/{lead_id}", seller.headers)
    assert commands == ["find"]  # the lead (the partner id is on the user, kept since the list)


def test_lead_list_total_is_counted_up_to_the_cap(app, client, actors):
    seller = actors.partner_owner()
    _seed_leads(app, seller.partner_id, 12)
    app.config["LIST_COUNT_CAP"] = 10
    body = client.get("/v1/leads?perPage=5&page=3", headers=seller.headers).get_json()
    assert (body["total"], body["totalCapped"], body["pages"]) == (10, True, 2)
    assert len(body["items"]) == 2  # pages past the counted ones still answer
    app.config["LIST_COUNT_CAP"] = 12
    body = client.get("/v1/leads?perPage=5", headers=seller.headers).get_json()
    assert (body["total"], body["totalCapped"], body["pages"]) == (12, False, 3)
