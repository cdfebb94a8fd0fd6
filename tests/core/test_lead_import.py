"""CSV import of leads: per-row errors, duplicates, never half a row, inline and as a job."""
import io

import pytest

from .api_checks import assert_error_shape

HEADER = "firstName,lastName,email,phone,company,companyDomain,jobTitle,seniority,industry,companySize,country," \
         "dealAmount,dealStatus,source"


def _post_file(client, actor, text, filename="leads.csv"):
    data = {"file": (io.BytesIO(text.encode() if isinstance(text, str) else text), filename)}
    return client.post("/v1/leads/import", headers=actor.headers, data=data, content_type="multipart/form-data")


def _post_body(client, actor, text):
    return client.post("/v1/leads/import", headers=actor.headers, data=text.encode(), content_type="text/csv")


def _rows(n, start=0, domain="example.com"):
    return "\n".join(f"Person{i},Smith,person{i}@{domain},,Co {i},,,,,,US,{i * 100},new,"
                     for i in range(start, start + n))


def _leads(client, actor):
    return client.get("/v1/leads?perPage=100&sort=createdAt", headers=actor.headers).get_json()


@pytest.fixture
def seller(actors):
    return actors.partner_owner()


# --- small files: answered inline -------------------------------------------------------------

def test_valid_rows_are_imported_and_invalid_rows_reported_by_field(client, seller):
    csv_text = "\n".join([
        HEADER,
        "Ann,Archer,ANN@example.com,(415) 555-0123,Archer Inc,archer.example,CTO,c_level,saas,51-200,us,150000,"
        "scheduled,fair",
        "Bob,,not-an-email,,,,,,,,,,,",
        "Cid,Cole,cid@example.com,garbage phone,,,,boss,,,ZZ,-5,,",
        "Dee,Dunn,dee@example.com,,,,,,,,,,,",
    ])
    response = _post_file(client, seller, csv_text)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["imported"] == 2 and body["failed"] == 2
    assert body["errors"][0] == {"row": 3, "errors": {"email": ["Not a valid email address."]}}
    assert body["errors"][1]["row"] == 4
    assert set(body["errors"][1]["errors"]) == {"phone", "seniority", "country", "dealAmount"}

    leads = _leads(client, seller)["items"]
    assert [lead["email"] for lead in leads] == ["ann@example.com", "dee@example.com"]
    ann = leads[0]
    assert ann["phone"] == "+14155550123" and ann["country"] == "US" and ann["dealAmount"] == 150000
    assert ann["dealStatus"] == "scheduled" and ann["source"] == "fair" and ann["seniority"] == "c_level"
    assert leads[1]["source"] == "csv_import" and leads[1]["dealStatus"] == "new"


def test_text_csv_body_works_like_a_file(client, seller):
    response = _post_body(client, seller, "email,firstName\nx@example.com,Xavier\n")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"imported": 1, "failed": 0, "errors": [], "errorsTruncated": False}


def test_duplicates_in_the_file_and_in_the_database_are_reported_per_row(client, seller):
    client.post("/v1/leads", headers=seller.headers, json={"firstName": "Old", "email": "old@example.com"})
    csv_text = "firstName,email\nNew,new@example.com\nAgain,NEW@example.com\nOld,old@example.com\n"
    body = _post_file(client, seller, csv_text).get_json()
    assert body["imported"] == 1
    assert body["errors"] == [
        {"row": 3, "errors": {"email": ["Repeats the e-mail address of row 2."]}},
        {"row": 4, "errors": {"email": ["You already have a lead with this e-mail address."]}},
    ]
    assert _leads(client, seller)["total"] == 2


def test_another_partners_leads_are_not_duplicates(client, seller, actors):
    other = actors.partner_owner()
    client.post("/v1/leads", headers=other.headers, json={"firstName": "Theirs", "email": "shared@example.com"})
    body = _post_file(client, seller, "firstName,email\nMine,shared@example.com\n").get_json()
    assert body["imported"] == 1 and body["failed"] == 0


def test_a_soft_deleted_leads_email_can_be_imported_again(client, seller):
    lead = client.post("/v1/leads", headers=seller.headers, json={"firstName": "A", "email": "a@example.com"})
    client.delete(f"/v1/leads/{lead.get_json()['id']}", headers=seller.headers)
    assert _post_file(client, seller, "firstName,email\nA,a@example.com\n").get_json()["imported"] == 1


def test_row_with_more_cells_than_the_header_is_refused_whole(client, seller):
    body = _post_file(client, seller, "firstName,email\nA,a@example.com,surprise\nB,b@example.com,\n").get_json()
    assert body["imported"] == 1
    assert body["errors"][0]["row"] == 2 and list(body["errors"][0]["errors"]) == ["_row"]


def test_quoted_cells_blank_lines_and_a_bom_are_handled(client, seller):
    csv_text = '\ufefffirstName,company,email\r\n"Ann","Archer, Sons & Co",ann@example.com\r\n\r\n,,\r\n'
    body = _post_file(client, seller, csv_text.encode("utf-8")).get_json()
    assert body == {"imported": 1, "failed": 0, "errors": [], "errorsTruncated": False}
    assert _leads(client, seller)["items"][0]["company"] == "Archer, Sons & Co"


def test_header_only_file_imports_nothing(client, seller):
    assert _post_file(client, seller, HEADER + "\n").get_json() == \
        {"imported": 0, "failed": 0, "errors": [], "errorsTruncated": False}


def test_import_emits_one_event_with_the_new_lead_ids(client, seller, events):
    _post_file(client, seller, "firstName,email\nA,a@example.com\nB,b@example.com\n")
    [event] = [e for e in events if e.name == "core.leads_imported"]
    assert event.partner_ids == (seller.partner_id,)
    assert sorted(event.payload["leadIds"]) == sorted(lead["id"] for lead in _leads(client, seller)["items"])


def test_member_imports_for_its_partner_and_platform_staff_cannot(client, seller, actors):
    member = actors.member(seller.partner)
    assert _post_file(client, member, "firstName,email\nA,a@example.com\n").get_json()["imported"] == 1
    assert_error_shape(_post_file(client, actors.admin(), "firstName,email\nA,a@example.com\n"), 403)
    assert_error_shape(client.post("/v1/leads/import", data=b"firstName,email\n", content_type="text/csv"), 401)


# --- whole-file refusals -------------------------------------------------------------------------

@pytest.mark.parametrize("header, problem", [
    ("firstName,email,favouriteColour", "Unknown columns: favouriteColour"),
    ("firstName,lastName", "Missing required columns: email"),
    ("firstName,email,email", "Repeated columns: email"),
])
def test_unusable_header_is_422_and_imports_nothing(client, seller, header, problem):
    body = assert_error_shape(_post_file(client, seller, f"{header}\nA,a@example.com,x\n"), 422)
    assert any(problem in message for message in body["errors"]["file"]), body
    assert _leads(client, seller)["total"] == 0


def test_empty_file_is_422(client, seller):
    body = assert_error_shape(_post_file(client, seller, ""), 422)
    assert "file" in body["errors"]


def test_file_that_is_not_utf8_is_422(client, seller):
    body = assert_error_shape(_post_file(client, seller, "firstName,email\nJosé,j@example.com\n".encode("utf-16")),
                              422)
    assert "UTF-8" in body["message"]


def test_missing_file_field_and_wrong_content_type(client, seller):
    body = assert_error_shape(client.post("/v1/leads/import", headers=seller.headers,
                                          data={"other": "x"}, content_type="multipart/form-data"), 422)
    assert "file" in body["errors"]
    assert_error_shape(client.post("/v1/leads/import", headers=seller.headers, json={"rows": []}), 415)


def test_file_over_the_size_limit_is_413(client, seller, app):
    app.config["LEADS_IMPORT_MAX_BYTES"] = 2000
    big = HEADER + "\n" + _rows(100)
    body = assert_error_shape(_post_file(client, seller, big), 413)
    assert "MB" in body["message"]
    assert_error_shape(_post_body(client, seller, big), 413)
    assert _leads(client, seller)["total"] == 0


def test_file_with_too_many_rows_is_413(client, seller, app):
    app.config["LEADS_IMPORT_MAX_ROWS"] = 10
    body = assert_error_shape(_post_file(client, seller, HEADER + "\n" + _rows(11)), 413)
    assert "10" in body["message"]
    assert _post_file(client, seller, HEADER + "\n" + _rows(10)).get_json()["imported"] == 10


# --- large files: a job with progress ------------------------------------------------------

def test_large_file_is_imported_by_a_job_with_progress_and_errors(client, seller, app, jobs):
    app.config["LEADS_IMPORT_INLINE_ROWS"] = 5
    csv_text = HEADER + "\n" + _rows(6) + "\nBroken,Row,broken-email,,,,,,,,,,,\n" + _rows(1, start=0)
    response = _post_file(client, seller, csv_text)
    assert response.status_code == 202, response.get_json()
    import_id = response.get_json()["importId"]
    assert response.get_json()["totalRows"] == 8

    queued = client.get(f"/v1/leads/imports/{import_id}", headers=seller.headers).get_json()
    assert (queued["status"], queued["processedRows"], queued["percent"]) == ("queued", 0, 0)
    assert _leads(client, seller)["total"] == 0

    assert jobs.run(["default"]) == 1
    done = client.get(f"/v1/leads/imports/{import_id}", headers=seller.headers).get_json()
    assert done["status"] == "completed", done
    assert (done["totalRows"], done["processedRows"], done["percent"]) == (8, 8, 100)
    assert (done["imported"], done["failed"]) == (6, 2)
    assert done["errors"] == [{"row": 8, "errors": {"email": ["Not a valid email address."]}},
                              {"row": 9, "errors": {"email": ["Repeats the e-mail address of row 2."]}}]
    assert done["startedAt"] and done["finishedAt"]
    assert _leads(client, seller)["total"] == 6


def test_more_than_500_rows_go_to_the_job_by_default(client, seller, jobs):
    response = _post_body(client, seller, "firstName,email\n" + "\n".join(
        f"P{i},p{i}@example.com" for i in range(501)))
    assert response.status_code == 202
    jobs.run(["default"])
    status = client.get(f"/v1/leads/imports/{response.get_json()['importId']}", headers=seller.headers).get_json()
    assert (status["status"], status["imported"]) == ("completed", 501)
    assert _leads(client, seller)["total"] == 501


def test_running_the_import_job_again_changes_nothing(client, seller, app, jobs):
    from pc_app.core.leads.jobs import run_lead_import
    from pc_app.core.models import LeadImport

    app.config["LEADS_IMPORT_INLINE_ROWS"] = 2
    import_id = _post_file(client, seller, HEADER + "\n" + _rows(4)).get_json()["importId"]
    jobs.run(["default"])
    with app.app_context():
        run_lead_import(import_id)  # a duplicate delivery of the job
        record = LeadImport.objects(id=import_id).get()
        assert (record.status, record.imported, record.failed, record.content) == ("completed", 4, 0, None)
    assert _leads(client, seller)["total"] == 4


def test_an_interrupted_import_resumes_without_reporting_its_own_rows_as_duplicates(client, seller, app, jobs):
    from pc_app.core.leads import csv_import
    from pc_app.core.leads.jobs import run_lead_import
    from pc_app.core.models import LeadImport

    app.config["LEADS_IMPORT_INLINE_ROWS"] = 2
    import_id = _post_file(client, seller, HEADER + "\n" + _rows(4)).get_json()["importId"]
    with app.app_context():
        record = LeadImport.objects(id=import_id).get()
        parsed = csv_import.parse(record.content, 100)
        # A worker died after inserting the first two rows but before saving its checkpoint.
        csv_import.import_rows(seller.partner_id, parsed.header, parsed.rows[:2], "user:x",
                               csv_import.ImportOutcome(), import_id=import_id)
        LeadImport.objects(id=import_id).update_one(set__status="running")
        run_lead_import(import_id)
        record.reload()
    assert (record.status, record.imported, record.failed, record.errors) == ("completed", 4, 0, [])
    assert _leads(client, seller)["total"] == 4


def test_import_status_of_another_partner_is_404(client, seller, app, actors):
    app.config["LEADS_IMPORT_INLINE_ROWS"] = 1
    import_id = _post_file(client, seller, HEADER + "\n" + _rows(2)).get_json()["importId"]
    stranger = actors.partner_owner()
    assert_error_shape(client.get(f"/v1/leads/imports/{import_id}", headers=stranger.headers), 404)
    assert_error_shape(client.get("/v1/leads/imports/not-an-id", headers=seller.headers), 404)
    assert "content" not in client.get(f"/v1/leads/imports/{import_id}", headers=seller.headers).get_json()
    assert client.get(f"/v1/leads/imports/{import_id}", headers=actors.admin().headers).status_code == 200
