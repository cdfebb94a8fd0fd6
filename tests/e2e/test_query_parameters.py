"""Every operation refuses a query parameter it does not document, with the 422 a list gives a misspelled filter."""
import re

import pytest

from .fuzz_stack import enable_payouts

pytestmark = pytest.mark.e2e

UNKNOWN = {"x": ["Unknown field."]}

# HubSpot's redirect may carry parameters of its own beside code and state: the callback's schema lets them by.
TAKES_MORE = {("get", "/v1/integrations/hubspot/callback")}


def test_every_operation_refuses_an_unknown_query_parameter_naming_it(client, actors):
    # A query schema is read after the caller's role is checked: each operation is asked by a partner and by staff.
    callers = [actors.partner_owner(), actors.owner()]
    spec = client.get("/openapi.json").get_json()
    accepted = []
    for path, item in spec["paths"].items():
        for method in ("get", "put", "post", "patch", "delete"):
            if method not in item or (method, path) in TAKES_MORE:
                continue
            url = re.sub(r"{[^}]+}", "0123456789abcdef01234567", path) + "?x=1"
            answers = [client.open(url, method=method.upper(), headers=caller.headers) for caller in callers]
            if not any(answer.status_code == 422 and answer.get_json()["errors"].get("x") == UNKNOWN["x"]
                       for answer in answers):
                accepted.append(f"{method.upper()} {path} -> {[answer.status_code for answer in answers]}")
    assert accepted == [], accepted


def test_reads_of_real_records_refuse_an_unknown_parameter_as_lists_do(client, actors, stripe_sandbox):
    seller = actors.partner_owner(icp={"industries": ["saas"]})
    buyer = actors.partner_owner(icp={"industries": ["saas"]})
    enable_payouts(client, stripe_sandbox, seller)
    leads = [client.post("/v1/leads", json={"firstName": name, "email": f"{name.lower()}@lead.example",
                                            "industry": "saas"}, headers=seller.headers).get_json()["id"]
             for name in ("Ada", "Grace")]
    for lead_id in leads:
        assert client.post(f"/v1/marketplace/leads/{lead_id}/list", json={"price": 5000},
                           headers=seller.headers).status_code == 201
    reservation = client.post(f"/v1/marketplace/leads/{leads[0]}/reserve", headers=buyer.headers).get_json()
    assert client.post("/v1/marketplace/purchases", json={"reservationId": reservation["id"],
                                                          "paymentMethodId": "pm_card_visa"},
                       headers=buyer.headers).status_code == 201
    invoice_id = client.get("/v1/invoices", headers=buyer.headers).get_json()["items"][0]["id"]
    reads = [(seller, f"/v1/leads/{leads[1]}"), (seller, "/v1/auth/me"), (buyer, f"/v1/marketplace/leads/{leads[1]}"),
             (buyer, f"/v1/invoices/{invoice_id}"), (seller, f"/v1/partners/{seller.partner_id}"),
             (seller, f"/v1/partners/{seller.partner_id}/webhooks"), (seller, "/v1/plugins")]
    for actor, url in reads:
        assert client.get(url, headers=actor.headers).status_code == 200, url
        refused = client.get(f"{url}?x=1", headers=actor.headers)
        assert refused.status_code == 422, (url, refused.status_code)
        assert refused.get_json() == client.get("/v1/leads?x=1", headers=seller.headers).get_json()
    # A list still answers each of its own misspelled or unknown parameters by name.
    assert client.get("/v1/leads?x=1&industy=saas", headers=seller.headers).get_json()["errors"] == {
        **UNKNOWN, "industy": ["Unknown field."]}


def test_parameters_read_outside_the_path_keep_working(client, actors):
    # The OAuth callback (with HubSpot's own extras) and the event stream's ticket.
    callback = client.get("/v1/integrations/hubspot/callback?code=abc&state=not-ours&hs_extra=1")
    assert callback.status_code == 302 and "status=error" in callback.headers["Location"]
    member = actors.partner_owner()
    ticket = client.post("/v1/activities/stream-ticket", headers=member.headers).get_json()["ticket"]
    stream = client.get(f"/v1/activities/stream?ticket={ticket}")
    assert stream.status_code == 200 and stream.mimetype == "text/event-stream"
    stream.close()
    assert client.get(f"/v1/activities/stream?ticket={ticket}&x=1").get_json()["errors"] == UNKNOWN


def test_an_operation_without_a_body_refuses_a_json_body_naming_its_fields(client, actors, stripe_sandbox):
    """``PATCH .../extend {"hours": 10000}`` answered 200 with the field ignored: a JSON body an operation does not
    document is a 422 naming each field, as an unknown field of a documented body is. No body and ``{}`` pass, and
    so does a form (a one-click unsubscribe's)."""
    seller = actors.partner_owner()
    buyer = actors.partner_owner()
    enable_payouts(client, stripe_sandbox, seller)
    lead = client.post("/v1/leads", json={"firstName": "Ada", "email": "ada@engines.example"},
                       headers=seller.headers).get_json()
    assert client.post(f"/v1/marketplace/leads/{lead['id']}/list", json={"price": 5000},
                       headers=seller.headers).status_code == 201
    refused = client.post(f"/v1/marketplace/leads/{lead['id']}/reserve", json={"hours": 10000}, headers=buyer.headers)
    assert refused.status_code == 422 and refused.get_json()["errors"] == {"hours": ["Unknown field."]}
    reservation = client.post(f"/v1/marketplace/leads/{lead['id']}/reserve", json={}, headers=buyer.headers)
    assert reservation.status_code == 201
    extend_url = f"/v1/marketplace/reservations/{reservation.get_json()['id']}/extend"
    refused = client.patch(extend_url, json={"hours": 10000}, headers=buyer.headers)
    assert refused.status_code == 422 and refused.get_json()["errors"] == {"hours": ["Unknown field."]}
    assert client.patch(extend_url, headers=buyer.headers).status_code == 200
    # Not JSON: passed on to the operation (an unsubscribe link's form is answered, here refused for its token).
    form = client.post("/v1/notifications/unsubscribe", data={"List-Unsubscribe": "One-Click"})
    assert form.status_code != 422 or "List-Unsubscribe" not in (form.get_json() or {}).get("errors", {})
