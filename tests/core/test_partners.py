"""Partners: platform list and create, profile and ICP, tenancy (PRODUCT.md §2, §3)."""
import pytest

from pc_app.core.models import Partner
from pc_app.testing import database_unchanged

from .api_checks import assert_error_shape

FULL_ICP = {"industries": ["saas", "fintech"], "companySizes": ["51-200"], "countries": ["us", "DE"],
            "jobTitles": [" VP Sales ", "cto"], "seniorities": ["vp", "c_level"], "maxPrice": 50000}


# --- create and list (platform) -------------------------------------------------------------

def test_platform_creates_an_active_partner_with_a_unique_slug(client, actors):
    admin = actors.admin()
    first = client.post("/v1/partners", headers=admin.headers, json={"name": "Acme Leads GmbH"})
    second = client.post("/v1/partners", headers=admin.headers, json={"name": "Acme  Leads gmbh"})
    assert first.status_code == second.status_code == 201, first.get_json()
    assert first.get_json()["status"] == "active"
    assert first.get_json()["activatedAt"]
    assert first.get_json()["slug"] == "acme-leads-gmbh"
    assert second.get_json()["slug"] == "acme-leads-gmbh-2"


def test_create_partner_with_icp(client, actors):
    response = client.post("/v1/partners", headers=actors.owner().headers,
                           json={"name": "Buyer Co", "website": "https://buyer.example", "icp": FULL_ICP})
    assert response.status_code == 201, response.get_json()
    icp = response.get_json()["icp"]
    assert icp["countries"] == ["US", "DE"]
    assert icp["jobTitles"] == ["vp sales", "cto"]
    assert icp["maxPrice"] == 50000


@pytest.mark.parametrize("name", ["   ", "\t\n", "Acme\u0000", "\u0000"])
def test_blank_or_nul_partner_names_are_a_422_naming_name_and_nothing_is_written(client, app, actors, name):
    admin = actors.admin()
    owner = actors.partner_owner(name="Before")
    with database_unchanged(app):
        body = assert_error_shape(client.post("/v1/partners", headers=admin.headers, json={"name": name}), 422)
        assert list(body["errors"]) == ["name"]
        body = assert_error_shape(client.patch(f"/v1/partners/{owner.partner_id}", headers=owner.headers,
                                               json={"name": name}), 422)
        assert list(body["errors"]) == ["name"]


def test_names_are_stored_trimmed(client, actors):
    admin = actors.admin()
    response = client.post("/v1/partners", headers=admin.headers, json={"name": "  Acme Leads  "})
    assert response.status_code == 201 and response.get_json()["name"] == "Acme Leads"


def test_icp_countries_accept_only_codes_the_document_lists(client, app, actors):
    owner = actors.partner_owner(icp={"countries": ["DE"]})
    with database_unchanged(app):
        for bad in ([""], [" us"], ["Us"], ["USA"]):
            response = client.patch(f"/v1/partners/{owner.partner_id}", headers=owner.headers,
                                    json={"icp": {"countries": bad}})
            assert_error_shape(response, 422)


def test_partner_users_cannot_create_or_list_partners(client, actors):
    owner = actors.partner_owner()
    assert_error_shape(client.post("/v1/partners", headers=owner.headers, json={"name": "Mine"}), 403)
    assert_error_shape(client.get("/v1/partners", headers=owner.headers), 403)


def test_partner_list_filters_by_status_and_text_and_paginates(client, actors):
    admin = actors.admin()
    for i in range(5):
        actors.partner(name=f"Northwind {i}")
    actors.partner(name="Contoso", status="onboarding")
    actors.partner(name="Fabrikam", status="suspended")

    everyone = client.get("/v1/partners?perPage=3", headers=admin.headers).get_json()
    assert (everyone["total"], everyone["page"], everyone["perPage"], everyone["pages"]) == (7, 1, 3, 3)
    assert len(everyone["items"]) == 3
    last = client.get("/v1/partners?perPage=3&page=3", headers=admin.headers).get_json()
    assert len(last["items"]) == 1
    names = [p["name"] for p in everyone["items"] + client.get(
        "/v1/partners?perPage=3&page=2", headers=admin.headers).get_json()["items"] + last["items"]]
    assert len(set(names)) == 7

    onboarding = client.get("/v1/partners?status=onboarding", headers=admin.headers).get_json()
    assert [p["name"] for p in onboarding["items"]] == ["Contoso"]
    text = client.get("/v1/partners?q=northWIND", headers=admin.headers).get_json()
    assert text["total"] == 5
    regex_chars = client.get("/v1/partners?q=.*", headers=admin.headers).get_json()
    assert regex_chars["total"] == 0


def test_partner_list_rejects_bad_query_arguments(client, actors):
    admin = actors.admin()
    body = assert_error_shape(client.get("/v1/partners?status=sleeping&perPage=1000", headers=admin.headers), 422)
    assert set(body["errors"]) == {"status", "perPage"}


# --- get and tenancy ---------------------------------------------------------------------------

def test_partner_user_sees_its_own_partner(client, actors):
    member = actors.member(actors.partner(name="Own Co"))
    response = client.get(f"/v1/partners/{member.partner_id}", headers=member.headers)
    assert response.status_code == 200
    assert response.get_json()["name"] == "Own Co"


def test_foreign_partner_answers_404_not_403(client, actors):
    member = actors.member(actors.partner())
    foreign = actors.partner()
    body = assert_error_shape(client.get(f"/v1/partners/{foreign.id}", headers=member.headers), 404)
    unknown = assert_error_shape(client.get(f"/v1/partners/{'d' * 24}", headers=member.headers), 404)
    assert body == unknown


@pytest.mark.parametrize("bad_id", ["123", "zzzzzzzzzzzzzzzzzzzzzzzz", "ABCDEFABCDEFABCDEFABCDEF"])
def test_malformed_partner_id_answers_404(client, actors, bad_id):
    assert_error_shape(client.get(f"/v1/partners/{bad_id}", headers=actors.admin().headers), 404)


def test_platform_reads_any_partner(client, actors):
    partner = actors.partner()
    assert client.get(f"/v1/partners/{partner.id}", headers=actors.admin().headers).status_code == 200


# --- patch profile and ICP ---------------------------------------------------------------------

def test_partner_owner_updates_profile_and_icp(client, actors):
    owner = actors.partner_owner()
    response = client.patch(f"/v1/partners/{owner.partner_id}", headers=owner.headers,
                            json={"name": "Renamed", "website": "https://renamed.example", "icp": FULL_ICP})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["name"] == "Renamed"
    assert body["icp"]["industries"] == ["saas", "fintech"]
    again = client.get(f"/v1/partners/{owner.partner_id}", headers=owner.headers).get_json()
    assert again["icp"] == body["icp"]


def test_icp_lists_left_out_become_empty(client, actors):
    owner = actors.partner_owner()
    client.patch(f"/v1/partners/{owner.partner_id}", headers=owner.headers, json={"icp": FULL_ICP})
    body = client.patch(f"/v1/partners/{owner.partner_id}", headers=owner.headers,
                        json={"icp": {"industries": ["retail"]}}).get_json()
    assert body["icp"] == {"industries": ["retail"], "companySizes": [], "countries": [], "jobTitles": [],
                           "seniorities": [], "maxPrice": None}


def test_partner_phone_is_stored_in_e164_and_garbage_is_422(client, actors):
    owner = actors.partner_owner()
    ok = client.patch(f"/v1/partners/{owner.partner_id}", headers=owner.headers, json={"phone": "(415) 555-0123"})
    assert ok.get_json()["phone"] == "+14155550123"
    body = assert_error_shape(client.patch(f"/v1/partners/{owner.partner_id}", headers=owner.headers,
                                           json={"phone": "call me"}), 422)
    assert list(body["errors"]) == ["phone"]


def test_member_cannot_patch_its_partner(client, actors):
    member = actors.member(actors.partner())
    assert_error_shape(client.patch(f"/v1/partners/{member.partner_id}", headers=member.headers,
                                    json={"name": "Nope"}), 403)


def test_partner_owner_patching_a_foreign_partner_gets_404(client, actors):
    owner = actors.partner_owner()
    foreign = actors.partner()
    assert_error_shape(client.patch(f"/v1/partners/{foreign.id}", headers=owner.headers, json={"name": "Mine"}), 404)


def test_icp_validation_names_every_bad_field(client, actors):
    owner = actors.partner_owner()
    bad_icp = {"industries": ["space_piracy"], "companySizes": ["10-20"], "countries": ["XX"],
               "jobTitles": ["x"], "seniorities": ["intern"], "maxPrice": -1, "budget": 5}
    body = assert_error_shape(client.patch(f"/v1/partners/{owner.partner_id}", headers=owner.headers,
                                           json={"icp": bad_icp}), 422)
    fields = set(body["errors"])
    for name in ("industries", "companySizes", "countries", "jobTitles", "seniorities", "maxPrice", "budget"):
        assert any(f.startswith(f"icp.{name}") for f in fields), (name, fields)
    assert "icp." in body["message"]


def test_icp_refuses_repeated_values_and_changes_nothing(client, app, actors):
    owner = actors.partner_owner(icp={"countries": ["DE"]})
    body = assert_error_shape(client.patch(f"/v1/partners/{owner.partner_id}", headers=owner.headers,
                                           json={"icp": {"countries": ["US", "US"]}}), 422)
    assert "icp.countries" in body["errors"]
    with app.app_context():
        assert Partner.objects.get(id=owner.partner_id).icp.countries == ["DE"]


def test_icp_codes_differing_only_in_case_are_one_country(client, actors):
    # The document lists upper- and lower-case codes (both are accepted), so they are not repeats as sent.
    owner = actors.partner_owner()
    response = client.patch(f"/v1/partners/{owner.partner_id}", headers=owner.headers,
                            json={"icp": {"countries": ["US", "us"], "jobTitles": ["Sales", " sales "]}})
    assert response.status_code == 200
    assert response.get_json()["icp"]["countries"] == ["US"]
    assert response.get_json()["icp"]["jobTitles"] == ["sales"]


def test_partner_patch_rejects_unknown_and_read_only_fields(client, actors):
    owner = actors.partner_owner()
    body = assert_error_shape(client.patch(f"/v1/partners/{owner.partner_id}", headers=owner.headers,
                                           json={"status": "active", "isPlatform": True}), 422)
    assert {"status", "isPlatform"} <= set(body["errors"])


def test_partner_update_emits_an_event(client, actors, events):
    owner = actors.partner_owner()
    client.patch(f"/v1/partners/{owner.partner_id}", headers=owner.headers, json={"name": "Renamed"})
    assert [(e.name, e.partner_ids, e.payload["fields"]) for e in events] == [
        ("core.partner_updated", (owner.partner_id,), ["name"])]
    assert events[0].actor == f"user:{owner.id}"


def test_an_icp_list_changed_in_place_is_saved_and_never_scanned_for_references(app, actors):
    """ICP lists are ``ValueListField``s: read without mongoengine's reference scan, still change-tracked."""
    from mongoengine.base import BaseList

    from pc_app.core.models import Partner

    owner = actors.partner_owner()
    with app.app_context():
        partner = Partner.objects.get(id=owner.partner_id)
        industries = partner.icp.industries
        assert isinstance(industries, BaseList) and not getattr(industries, "_dereferenced", False)
        industries.append("saas")
        partner.save()
        assert Partner.objects.get(id=owner.partner_id).icp.industries == ["saas"]
