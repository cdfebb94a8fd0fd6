"""Real records of every plugin for the end-to-end fuzzer: a HubSpot connection, a listing, signed webhooks."""
import base64
import hashlib
import hmac
import time

import requests

from pc_app.testing import core_fuzz_stack

WEBHOOKS = "POST /v1/integrations/hubspot/webhooks"


def connect_hubspot(client, sandbox, actor, partner_id) -> int:
    """The OAuth dance as a browser walks it: authorize, the sandbox's consent (a fresh portal), our callback."""
    portal = sandbox.admin.create_portal()
    answer = client.get("/v1/integrations/hubspot/authorize", query_string={"partnerId": partner_id},
                        headers=actor.headers)
    assert answer.status_code == 200, answer.get_json()
    consent = requests.get(answer.get_json()["authorizationUrl"], params={"portal": portal}, allow_redirects=False,
                           timeout=10)
    callback = client.get(consent.headers["Location"][len("http://localhost"):])
    assert "status=success" in callback.headers["Location"], callback.headers["Location"]
    return portal


def webhook_signer(secret: str):
    """Signs a webhook body the way HubSpot does (v3), so hostile bodies reach the JSON reader."""
    def sign(method: str, path: str, body: bytes) -> dict:
        timestamp = str(int(time.time() * 1000))
        message = method.encode() + f"http://localhost{path}".encode() + body + timestamp.encode()
        signature = base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()
        return {"X-HubSpot-Request-Timestamp": timestamp, "X-HubSpot-Signature-v3": signature}
    return sign


def verification_links(app, count: int = 3) -> list[str]:
    """Links of a registration waiting for verification, as the registration plugin mails them."""
    import datetime as dt

    from pc_app.toolkit import create_partner, create_user, issue_token

    with app.app_context():
        partner = create_partner("Pending Fuzz", status="pending_verification")
        owner = create_user("pending@fuzz.example", "Pending Owner", partner_id=partner.id, is_partner_owner=True,
                            is_active=False)
        return [issue_token(owner.id, "verify_registration", dt.timedelta(hours=1), replace=False)
                for _ in range(count)]


def enable_payouts(client, stripe_sandbox, actor) -> None:
    """Payouts onboarding as a seller walks it: the link, Stripe's form (completed by the sandbox), its webhooks."""
    assert client.post("/v1/payments/connect/onboarding", headers=actor.headers).status_code == 200
    account = client.get("/v1/payments/connect/status", headers=actor.headers).get_json()["accountId"]
    stripe_sandbox.admin.complete_onboarding(account)
    for event_type, response in stripe_sandbox.deliver_webhooks(client):
        assert response.status_code == 200, (event_type, response.get_json())


def every_plugin_fuzz_stack(app, actors, actor, hubspot_sandbox, stripe_sandbox):
    """The core's records plus a connected HubSpot portal and another partner's listing the actor may open."""
    client = app.test_client()
    stack = core_fuzz_stack(app, actors, actor)
    partner_id = stack.path_ids["partner_id"][0]
    manager = actor if actor.partner is not None else actors.owner()
    connect_hubspot(client, hubspot_sandbox, manager, partner_id)
    status = client.get(f"/v1/integrations/hubspot/{partner_id}/status", headers=manager.headers).get_json()
    stack.add_body("PUT /v1/integrations/hubspot/{partner_id}/stage-mapping",
                   {"pipelineId": status["pipelineId"], "stageMapping": status["stageMapping"]})
    stack.add_body("POST /v1/auth/verify-registration", *({"token": token} for token in verification_links(app)))
    seller = actors.partner_owner(icp={"industries": ["saas"]})
    with app.app_context():
        from pc_app.core.leads.services import create_lead

        lead = create_lead(seller.partner_id, {"first_name": "Sold", "email": "listed@lead.example",
                                               "industry": "saas", "country": "US"}, "system")
    enable_payouts(client, stripe_sandbox, seller)
    listed = client.post(f"/v1/marketplace/leads/{lead.id}/list", json={"price": 5000}, headers=seller.headers)
    assert listed.status_code == 201, listed.get_json()
    stack.add_ids("lead_id", lead.id)
    secret = app.config["HUBSPOT_APP_SECRET"] or app.config["HUBSPOT_CLIENT_SECRET"]
    stack.sign[WEBHOOKS] = webhook_signer(secret)
    if actor.partner is not None:
        add_trading_records(app, client, stack, stripe_sandbox, actor, seller)
    return stack


def add_trading_records(app, client, stack, stripe_sandbox, buyer, seller) -> None:
    """A reservation, a paid purchase with its invoices, and a webhook endpoint of the buyer's."""
    from pc_app.core.leads.services import create_lead

    def listed_lead(n: int) -> str:
        with app.app_context():
            lead = create_lead(seller.partner_id, {"first_name": f"Trade {n}", "email": f"trade{n}@lead.example",
                                                   "industry": "saas", "country": "US"}, "system")
        answer = client.post(f"/v1/marketplace/leads/{lead.id}/list", json={"price": 5000}, headers=seller.headers)
        assert answer.status_code == 201, answer.get_json()
        return lead.id

    def reserved(lead_id: str) -> str:
        answer = client.post(f"/v1/marketplace/leads/{lead_id}/reserve", headers=buyer.headers)
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()["id"]

    stack.add_ids("reservation_id", reserved(listed_lead(1)))
    bought = client.post("/v1/marketplace/purchases", headers=buyer.headers,
                         json={"reservationId": reserved(listed_lead(2)), "paymentMethodId": "pm_card_visa"})
    assert bought.status_code == 201, bought.get_json()
    for event_type, response in stripe_sandbox.deliver_webhooks(client):
        assert response.status_code == 200, (event_type, response.get_json())
    stack.add_ids("purchase_id", bought.get_json()["id"])
    stack.add_ids("invoice_id", *(invoice["id"] for invoice in
                                  client.get("/v1/invoices", headers=buyer.headers).get_json()["items"]))
    endpoint = client.post(f"/v1/partners/{buyer.partner_id}/webhooks", headers=buyer.headers,
                           json={"url": "http://127.0.0.1:9/hooks", "eventTypes": ["*"]})
    assert endpoint.status_code == 201, endpoint.get_json()
    stack.add_ids("endpoint_id", endpoint.get_json()["id"])
