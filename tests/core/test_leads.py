"""A partner's own leads: create, read, change, soft delete, notes, list filters (PRODUCT.md §3, §4)."""
import datetime as dt

import pytest

from pc_app.testing import database_unchanged

from .api_checks import assert_error_shape

ALICE = {"firstName": "Alice", "lastName": "Archer", "email": "Alice@Example.com", "phone": "+1 415 555 0123",
         "company": "Archer Analytics", "companyDomain": "Archer.example", "jobTitle": "VP Sales",
         "seniority": "vp", "industry": "saas", "companySize": "51-200", "country": "us",
         "dealAmount": 120000, "dealStatus": "scheduled", "source": "webinar"}


def _create(client, actor, **fields):
    body = {"firstName": "Lead", "email": f"lead{len(fields)}@example.com"}
    body.update(fields)
    response = client.post("/v1/leads", headers=actor.headers, json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def seller(actors):
    return actors.partner_owner(name="Seller Co")


# --- create and read --------------------------------------------------------------------

def test_create_lead_normalises_email_phone_country_and_domain(client, seller):
    lead = _create(client, seller, **ALICE)
    assert lead["email"] == "alice@example.com"
    assert lead["phone"] == "+14155550123"
    assert lead["country"] == "US"
    assert lead["companyDomain"] == "archer.example"
    assert lead["partnerId"] == seller.partner_id
    assert lead["updatedBy"] == f"user:{seller.id}"
    assert lead["dealStatus"] == "scheduled" and lead["dealAmount"] == 120000 and lead["currency"] == "usd"
    assert lead["notes"] == []
    assert lead["createdAt"].endswith("+00:00")
    # one datetime format everywhere: ISO 8601 to the millisecond with the UTC offset
    import re
    stamp = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$")
    assert stamp.match(lead["createdAt"]) and stamp.match(lead["updatedAt"]), (lead["createdAt"], lead["updatedAt"])
    fetched = client.get(f"/v1/leads/{lead['id']}", headers=seller.headers)
    assert fetched.status_code == 200
    assert fetched.get_json() == lead


def test_member_creates_leads_for_its_partner(client, seller, actors):
    member = actors.member(seller.partner)
    lead = _create(client, member, email="m@example.com")
    assert lead["partnerId"] == seller.partner_id
    assert client.get(f"/v1/leads/{lead['id']}", headers=seller.headers).status_code == 200


def test_an_empty_country_is_no_country_as_the_document_says(client, seller):
    # The lead's country enum lists "" (no country) beside the codes in both cases.
    assert _create(client, seller, email="nowhere@example.com", country="")["country"] is None
    assert _create(client, seller, email="de@example.com", country="de")["country"] == "DE"


def test_create_lead_defaults(client, seller):
    lead = _create(client, seller, email="minimal@example.com")
    assert lead["dealStatus"] == "new"
    assert lead["dealAmount"] == 0
    assert lead["source"] == "manual"
    assert lead["lastName"] == ""


@pytest.mark.parametrize("phone", ["(415) 555-0123", "415.555.0123", "+1-415-555-0123"])
def test_phone_is_stored_in_e164(client, seller, phone):
    assert _create(client, seller, email="p@example.com", phone=phone)["phone"] == "+14155550123"


def test_international_phone_keeps_its_country(client, seller):
    assert _create(client, seller, email="de@example.com", phone="+49 30 901820")["phone"] == "+4930901820"


@pytest.mark.parametrize("phone", ["not a phone", "123", "+1 000 000 0000", "+99 12345"])
def test_garbage_phone_is_422(app, client, seller, phone):
    with database_unchanged(app):
        body = assert_error_shape(client.post("/v1/leads", headers=seller.headers, json={
            "firstName": "X", "email": "x@example.com", "phone": phone}), 422)
    assert list(body["errors"]) == ["phone"]


@pytest.mark.parametrize("field, value", [("firstName", "   "), ("firstName", "Al\u0000ice"), ("lastName", " \t"),
                                          ("company", "\u0000")])
def test_blank_or_nul_names_are_a_422_naming_the_field(app, client, seller, field, value):
    with database_unchanged(app):
        body = assert_error_shape(client.post("/v1/leads", headers=seller.headers, json={
            "firstName": "X", "email": "x@example.com", field: value}), 422)
    assert list(body["errors"]) == [field]


def test_create_lead_names_every_bad_field(app, client, seller):
    with database_unchanged(app):
        body = assert_error_shape(client.post("/v1/leads", headers=seller.headers, json={
            "email": "nope", "seniority": "boss", "industry": "piracy", "companySize": "huge", "country": "ZZ",
            "dealAmount": -5, "dealStatus": "maybe", "companyDomain": "not a domain", "currency": "btc"}), 422)
    assert set(body["errors"]) == {"firstName", "email", "seniority", "industry", "companySize", "country",
                                   "dealAmount", "dealStatus", "companyDomain", "currency"}
    assert "firstName" in body["message"]


def test_unknown_and_read_only_fields_are_422(app, client, seller):
    with database_unchanged(app):
        body = assert_error_shape(client.post("/v1/leads", headers=seller.headers, json={
            "firstName": "X", "email": "x@example.com", "favouriteColour": "red", "partnerId": "a" * 24,
            "id": "b" * 24}), 422)
    assert set(body["errors"]) == {"favouriteColour", "partnerId", "id"}


def test_non_json_body_is_a_415(app, client, seller):
    with database_unchanged(app):
        response = client.post("/v1/leads", headers=seller.headers, data="firstName=X", content_type="text/plain")
    assert_error_shape(response, 415)


def test_platform_staff_without_partner_cannot_create_leads(app, client, actors):
    admin = actors.admin()
    with database_unchanged(app):
        assert_error_shape(client.post("/v1/leads", headers=admin.headers,
                                       json={"firstName": "X", "email": "x@example.com"}), 403)


def test_leads_need_authentication(client):
    assert_error_shape(client.get("/v1/leads"), 401)


# --- uniqueness ------------------------------------------------------------------------------

def test_email_is_unique_per_partner(app, client, seller):
    _create(client, seller, email="dup@example.com")
    with database_unchanged(app):
        body = assert_error_shape(client.post("/v1/leads", headers=seller.headers,
                                              json={"firstName": "Again", "email": "DUP@example.com"}), 409)
    assert list(body["errors"]) == ["email"]


def test_same_email_is_allowed_for_another_partner(client, seller, actors):
    _create(client, seller, email="shared@example.com")
    other = actors.partner_owner()
    assert _create(client, other, email="shared@example.com")["partnerId"] == other.partner_id


def test_email_is_free_again_after_soft_delete(client, seller):
    lead = _create(client, seller, email="gone@example.com")
    assert client.delete(f"/v1/leads/{lead['id']}", headers=seller.headers).status_code == 204
    again = _create(client, seller, email="gone@example.com")
    assert again["id"] != lead["id"]


def test_changing_email_to_a_taken_one_is_409_and_changes_nothing(client, seller):
    _create(client, seller, email="one@example.com")
    two = _create(client, seller, email="two@example.com", firstName="Two")
    assert_error_shape(client.patch(f"/v1/leads/{two['id']}", headers=seller.headers,
                                    json={"email": "one@example.com", "firstName": "Changed"}), 409)
    assert client.get(f"/v1/leads/{two['id']}", headers=seller.headers).get_json()["firstName"] == "Two"


# --- patch, delete, notes -------------------------------------------------------------------------

def test_patch_changes_only_given_fields_and_emits_changed_names(client, seller, events):
    lead = _create(client, seller, **ALICE)
    assert [e.name for e in events] == ["core.lead_created"]
    response = client.patch(f"/v1/leads/{lead['id']}", headers=seller.headers,
                            json={"dealStatus": "won", "dealAmount": 120000, "phone": "(212) 555-0199"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["dealStatus"] == "won" and body["phone"] == "+12125550199"
    assert body["firstName"] == "Alice" and body["email"] == "alice@example.com"
    assert [(e.name, e.payload) for e in events[1:]] == [
        ("core.lead_updated", {"leadId": lead["id"], "fields": ["deal_status", "phone"]})]


def test_patch_validates_like_create(app, client, seller):
    lead = _create(client, seller, email="v@example.com")
    with database_unchanged(app):
        body = assert_error_shape(client.patch(f"/v1/leads/{lead['id']}", headers=seller.headers,
                                               json={"phone": "garbage", "email": None, "colour": "red"}), 422)
    assert set(body["errors"]) == {"phone", "email", "colour"}


def test_deleted_lead_is_gone_from_get_list_and_patch(client, seller):
    lead = _create(client, seller, email="d@example.com")
    client.delete(f"/v1/leads/{lead['id']}", headers=seller.headers)
    assert_error_shape(client.get(f"/v1/leads/{lead['id']}", headers=seller.headers), 404)
    assert_error_shape(client.patch(f"/v1/leads/{lead['id']}", headers=seller.headers, json={"firstName": "Z"}), 404)
    assert_error_shape(client.delete(f"/v1/leads/{lead['id']}", headers=seller.headers), 404)
    assert client.get("/v1/leads", headers=seller.headers).get_json()["total"] == 0


def test_soft_deleted_lead_stays_in_the_database(client, seller, app):
    from pc_app.core.models import Lead

    lead = _create(client, seller, email="kept@example.com")
    client.delete(f"/v1/leads/{lead['id']}", headers=seller.headers)
    with app.app_context():
        stored = Lead.objects(id=lead["id"]).get()
    assert stored.is_deleted and stored.deleted_at is not None and stored.email_key is None


def test_notes_are_appended_with_author_and_time(client, seller, actors):
    member = actors.member(seller.partner)
    lead = _create(client, seller, email="n@example.com")
    first = client.post(f"/v1/leads/{lead['id']}/notes", headers=seller.headers, json={"text": "Called, no answer"})
    assert first.status_code == 201, first.get_json()
    second = client.post(f"/v1/leads/{lead['id']}/notes", headers=member.headers, json={"text": "Meeting booked"})
    notes = second.get_json()["notes"]
    assert [n["text"] for n in notes] == ["Called, no answer", "Meeting booked"]
    assert [n["author"] for n in notes] == [f"user:{seller.id}", f"user:{member.id}"]
    assert all(n["at"].endswith("+00:00") for n in notes)
    assert client.get(f"/v1/leads/{lead['id']}", headers=seller.headers).get_json()["notes"] == notes


def test_concurrent_notes_are_all_kept(client, seller, app, db_latency):
    import threading

    lead = _create(client, seller, email="busy@example.com")
    errors = []
    barrier = threading.Barrier(6)
    # Every request reads the lead (no notes yet) before any of them writes its note.
    all_read = db_latency.rendezvous("find", "leads", parties=6)

    def add(i):
        c = app.test_client()
        barrier.wait()
        r = c.post(f"/v1/leads/{lead['id']}/notes", headers=seller.headers, json={"text": f"note {i}"})
        if r.status_code != 201:
            errors.append(r.get_json())

    threads = [threading.Thread(target=add, args=(i,)) for i in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert all_read.met and errors == []
    texts = {n["text"] for n in client.get(f"/v1/leads/{lead['id']}", headers=seller.headers).get_json()["notes"]}
    assert texts == {f"note {i}" for i in range(6)}


def test_empty_note_is_422(app, client, seller):
    lead = _create(client, seller, email="e@example.com")
    with database_unchanged(app):
        body = assert_error_shape(client.post(f"/v1/leads/{lead['id']}/notes", headers=seller.headers,
                                              json={"text": ""}), 422)
    assert list(body["errors"]) == ["text"]


# --- tenancy ---------------------------------------------------------------------------------

def test_foreign_lead_answers_404_everywhere(app, client, seller, actors):
    lead = _create(client, seller, email="mine@example.com")
    stranger = actors.partner_owner()
    with database_unchanged(app):
        for method, url, body in [("get", f"/v1/leads/{lead['id']}", None),
                                  ("patch", f"/v1/leads/{lead['id']}", {"firstName": "Stolen"}),
                                  ("delete", f"/v1/leads/{lead['id']}", None),
                                  ("post", f"/v1/leads/{lead['id']}/notes", {"text": "hi"})]:
            assert_error_shape(getattr(client, method)(url, headers=stranger.headers, json=body), 404)
    assert client.get("/v1/leads", headers=stranger.headers).get_json()["total"] == 0
    assert client.get(f"/v1/leads/{lead['id']}", headers=seller.headers).get_json()["firstName"] == "Lead"


def test_malformed_lead_id_is_404(client, seller):
    assert_error_shape(client.get("/v1/leads/12345", headers=seller.headers), 404)


# --- list: filters, sort, pagination ----------------------------------------------------------

@pytest.fixture
def catalogue(client, seller, app):
    """Five leads with different attributes, created in this order."""
    from pc_app.core.models import Lead

    specs = [
        dict(firstName="Ann", lastName="Zed", email="ann@example.com", company="Beta", industry="saas",
             companySize="1-10", seniority="c_level", country="US", dealStatus="new", dealAmount=500,
             source="webinar"),
        dict(firstName="Ben", lastName="Young", email="ben@example.com", company="alpha", industry="fintech",
             companySize="11-50", seniority="vp", country="DE", dealStatus="won", dealAmount=9000,
             source="csv"),
        dict(firstName="Cid", lastName="Xu", email="cid@sample.org", company="Gamma", industry="saas",
             companySize="51-200", seniority="director", country="FR", dealStatus="in_touch", dealAmount=2500,
             source="webinar"),
        dict(firstName="Dee", lastName="Wolf", email="dee@example.com", company="Delta", industry="retail",
             companySize="1-10", seniority="manager", country="US", dealStatus="lost_no_show", dealAmount=0,
             source="manual"),
        dict(firstName="Eve", lastName="Vance", email="eve@example.com", company="Epsilon", industry="energy",
             companySize="5001+", seniority="individual", country="GB", dealStatus="scheduled", dealAmount=7000,
             source="manual"),
    ]
    leads = [_create(client, seller, **spec) for spec in specs]
    # Spread creation times one day apart so time filters have something to cut. Written as a whole document,
    # as an insert writes it: nx-27017 keeps a datetime written by ``$set`` as a string, which no lead has.
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    with app.app_context():
        collection = Lead._get_collection()
        for i, lead in enumerate(leads):
            stored = collection.find_one({"_id": lead["id"]})
            collection.replace_one({"_id": lead["id"]}, {**stored, "created_at": base + dt.timedelta(days=i)})
    return leads


def _names(client, seller, query=""):
    response = client.get(f"/v1/leads?{query}", headers=seller.headers)
    assert response.status_code == 200, response.get_json()
    return [lead["firstName"] for lead in response.get_json()["items"]]


@pytest.mark.parametrize("query, expected", [
    ("dealStatus=won", ["Ben"]),
    ("dealStatus=won&dealStatus=new", ["Ben", "Ann"]),
    ("industry=saas", ["Cid", "Ann"]),
    ("companySize=1-10", ["Dee", "Ann"]),
    ("seniority=vp&seniority=manager", ["Dee", "Ben"]),
    ("country=US", ["Dee", "Ann"]),
    ("source=webinar", ["Cid", "Ann"]),
    ("minDealAmount=2500", ["Eve", "Cid", "Ben"]),
    ("maxDealAmount=2500", ["Dee", "Cid", "Ann"]),
    ("minDealAmount=1000&maxDealAmount=8000", ["Eve", "Cid"]),
    ("q=ALPHA", ["Ben"]),
    ("q=sample.org", ["Cid"]),
    ("q=wolf", ["Dee"]),
    ("q=(", []),
    ("createdFrom=2026-01-02T00:00:00Z", ["Eve", "Dee", "Cid", "Ben"]),
    ("createdTo=2026-01-02T00:00:00Z", ["Ann"]),
    ("createdFrom=2026-01-02T00:00:00%2B00:00&createdTo=2026-01-04T00:00:00Z", ["Cid", "Ben"]),
    ("industry=saas&country=FR", ["Cid"]),
])
def test_list_filters(client, seller, catalogue, query, expected):
    assert _names(client, seller, query) == expected


@pytest.mark.parametrize("sort, expected", [
    ("", ["Eve", "Dee", "Cid", "Ben", "Ann"]),
    ("sort=createdAt", ["Ann", "Ben", "Cid", "Dee", "Eve"]),
    ("sort=-dealAmount", ["Ben", "Eve", "Cid", "Ann", "Dee"]),
    ("sort=dealAmount", ["Dee", "Ann", "Cid", "Eve", "Ben"]),
    ("sort=lastName", ["Eve", "Dee", "Cid", "Ben", "Ann"]),
    ("sort=-lastName", ["Ann", "Ben", "Cid", "Dee", "Eve"]),
])
def test_list_sort(client, seller, catalogue, sort, expected):
    assert _names(client, seller, sort) == expected


def test_list_pagination_reports_totals(client, seller, catalogue):
    page1 = client.get("/v1/leads?perPage=2&sort=createdAt", headers=seller.headers).get_json()
    page3 = client.get("/v1/leads?perPage=2&page=3&sort=createdAt", headers=seller.headers).get_json()
    beyond = client.get("/v1/leads?perPage=2&page=4", headers=seller.headers).get_json()
    assert {k: page1[k] for k in ("total", "page", "perPage", "pages")} == \
        {"total": 5, "page": 1, "perPage": 2, "pages": 3}
    assert [lead["firstName"] for lead in page1["items"]] == ["Ann", "Ben"]
    assert [lead["firstName"] for lead in page3["items"]] == ["Eve"]
    assert beyond["items"] == [] and beyond["total"] == 5
    filtered = client.get("/v1/leads?perPage=1&industry=saas", headers=seller.headers).get_json()
    assert (filtered["total"], filtered["pages"]) == (2, 2)
    # A time window is counted too (a full first page: the total is a count, not the page's length).
    window = client.get("/v1/leads?perPage=2&createdFrom=2026-01-02T00:00:00Z&createdTo=2026-01-05T00:00:00Z",
                        headers=seller.headers).get_json()
    assert (window["total"], window["pages"], [lead["firstName"] for lead in window["items"]]) == \
        (3, 2, ["Dee", "Cid"])


def test_amount_filter_beyond_what_the_database_stores_is_422_not_500(client, seller):
    body = assert_error_shape(client.get("/v1/leads?minDealAmount=99999999999999999999", headers=seller.headers), 422)
    assert list(body["errors"]) == ["minDealAmount"]


def test_list_rejects_bad_arguments_naming_them(client, seller):
    body = assert_error_shape(client.get("/v1/leads?dealStatus=maybe&sort=colour&perPage=0&page=0"
                                         "&minDealAmount=-1&createdFrom=yesterday&country=XX",
                                         headers=seller.headers), 422)
    assert {"dealStatus", "sort", "perPage", "page", "minDealAmount", "createdFrom", "country"} <= \
        set(k.split(".")[0] for k in body["errors"])


# --- platform staff ------------------------------------------------------------------------

def test_platform_staff_read_and_manage_every_partners_leads(client, seller, actors):
    other = actors.partner_owner()
    mine = _create(client, seller, email="mine@example.com")
    _create(client, other, email="theirs@example.com")
    admin = actors.admin()
    everyone = client.get("/v1/leads", headers=admin.headers).get_json()
    assert everyone["total"] == 2
    one_partner = client.get(f"/v1/leads?partnerId={seller.partner_id}", headers=admin.headers).get_json()
    assert [lead["email"] for lead in one_partner["items"]] == ["mine@example.com"]
    assert client.get(f"/v1/leads/{mine['id']}", headers=admin.headers).status_code == 200
    patched = client.patch(f"/v1/leads/{mine['id']}", headers=admin.headers, json={"dealStatus": "won"})
    assert patched.get_json()["updatedBy"] == f"user:{admin.id}"
    assert client.post(f"/v1/leads/{mine['id']}/notes", headers=admin.headers, json={"text": "Checked"}).status_code \
        == 201
    assert client.delete(f"/v1/leads/{mine['id']}", headers=admin.headers).status_code == 204


def test_partner_user_asking_for_another_partners_leads_gets_404(client, seller, actors):
    other = actors.partner_owner()
    assert_error_shape(client.get(f"/v1/leads?partnerId={other.partner_id}", headers=seller.headers), 404)
    assert client.get(f"/v1/leads?partnerId={seller.partner_id}", headers=seller.headers).status_code == 200
    assert_error_shape(client.get("/v1/leads?partnerId=nope", headers=seller.headers), 422)


def test_a_read_only_lead_leaves_the_default_list_and_refuses_changes(app, client, actors):
    from pc_app.toolkit import clear_lead_read_only, set_lead_read_only

    owner = actors.partner_owner()
    lead = client.post("/v1/leads", json={"firstName": "Ann", "email": "ann@example.com"},
                       headers=owner.headers).get_json()
    with app.app_context():
        assert set_lead_read_only(lead["id"], "sold") is True
        assert set_lead_read_only(lead["id"], "sold") is False
    listed = client.get("/v1/leads", headers=owner.headers).get_json()
    assert listed["items"] == []
    sold = client.get("/v1/leads?readOnly=true", headers=owner.headers).get_json()
    assert [item["id"] for item in sold["items"]] == [lead["id"]]
    assert sold["items"][0]["readOnly"] is True and sold["items"][0]["readOnlyReason"] == "sold"
    for response in (client.patch(f"/v1/leads/{lead['id']}", json={"company": "X"}, headers=owner.headers),
                     client.post(f"/v1/leads/{lead['id']}/notes", json={"text": "hi"}, headers=owner.headers),
                     client.delete(f"/v1/leads/{lead['id']}", headers=owner.headers)):
        assert response.status_code == 409 and "readOnly" in response.get_json()["errors"]
    assert client.get(f"/v1/leads/{lead['id']}", headers=owner.headers).status_code == 200
    with app.app_context():
        assert clear_lead_read_only(lead["id"], "sold") is True
    assert client.patch(f"/v1/leads/{lead['id']}", json={"company": "X"}, headers=owner.headers).status_code == 200
    assert [item["id"] for item in client.get("/v1/leads", headers=owner.headers).get_json()["items"]] == [lead["id"]]
