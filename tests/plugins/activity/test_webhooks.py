"""Outgoing webhooks: endpoints, signed deliveries with retries, disabling, rotation, SSRF rules, the docs' receiver."""
from __future__ import annotations

import json
import re
import socket
import time
from pathlib import Path

import pytest

from pc_app.testing import metric_value
from pc_app.toolkit import new_id

from .receiver import Receiver

DOCS = Path(__file__).resolve().parents[3] / "docs" / "webhooks.md"


def docs_verifier():
    """Run the receiver snippet of docs/webhooks.md exactly as printed; return its function."""
    [snippet] = [block for block in re.findall(r"```python\n(.*?)```", DOCS.read_text(), re.S)
                 if "def verify_pc_signature" in block]
    namespace: dict = {}
    exec(compile(snippet, str(DOCS), "exec"), namespace)
    return namespace["verify_pc_signature"]


def hooks_url(actor):
    return f"/v1/partners/{actor.partner_id}/webhooks"


def register(client, actor, url, event_types=("*",)):
    response = client.post(hooks_url(actor), headers=actor.headers, json={"url": url, "eventTypes": list(event_types)})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def deliveries(client, actor, endpoint_id):
    response = client.get(f"{hooks_url(actor)}/{endpoint_id}/deliveries", headers=actor.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def run_due_retries(app, jobs, settle_s=0.15):
    """Wait out the (tiny test) backoff, move scheduled retries to their queue (rq's own API), run them."""
    from rq.registry import ScheduledJobRegistry

    from pc_app.toolkit import get_queue

    time.sleep(settle_s)
    with app.app_context():
        registry = ScheduledJobRegistry(queue=get_queue("webhooks"))
        for job_id in registry.get_job_ids():
            registry.requeue(job_id)
    return jobs.run()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_receiver_answering_500_then_200_gets_the_event_twice_and_both_signatures_verify(
        app, client, jobs, activities, seller):
    verify = docs_verifier()
    with Receiver([500, 200]) as receiver:
        endpoint = register(client, seller, receiver.url, ["core.lead_created"])
        secret = endpoint["secret"]
        assert secret.startswith("whsec_")
        event = activities.emit("core.lead_created", [seller.partner_id], {"leadId": new_id()})
        activities.fan_out()
        assert len(receiver.requests) == 1
        [pending] = deliveries(client, seller, endpoint["id"])
        assert pending["status"] == "retrying" and pending["responseCode"] == 500 and pending["nextRetryAt"]
        run_due_retries(app, jobs)

    first, second = receiver.requests
    for request in (first, second):
        assert verify(secret, request.headers["X-PC-Signature"], request.body)
        assert not verify("whsec_wrong", request.headers["X-PC-Signature"], request.body)
        assert request.headers["X-PC-Event"] == "core.lead_created"
        body = json.loads(request.body)
        assert body["id"] == event.id and body["type"] == "core.lead_created" and set(body) == {
            "id", "type", "createdAt", "data"}
        assert body["data"]["leadId"] == event.payload["leadId"]
    assert first.headers["X-PC-Delivery"] == second.headers["X-PC-Delivery"]
    assert not verify(secret, first.headers["X-PC-Signature"], first.body + b" ")
    [done] = deliveries(client, seller, endpoint["id"])
    assert done["status"] == "succeeded" and done["attempts"] == 2 and done["responseCode"] == 200
    assert done["latencyMs"] >= 0 and done["responseBody"] == '{"received": 2}' and done["nextRetryAt"] is None
    # Both attempts are counted for the operator (/metrics).
    counted = {outcome: metric_value(app, "pc_webhook_deliveries_total", webhook="partner", outcome=outcome)
               for outcome in ("retrying", "delivered", "failed")}
    assert counted == {"retrying": 1, "delivered": 1, "failed": 0}


def test_a_receiver_down_past_the_window_disables_the_endpoint_and_tells_the_owner(
        app, client, actors, jobs, activities, outbox, seller):
    app.config["WEBHOOKS_RETRY_WINDOW_SECONDS"] = 0.4
    member = actors.member(seller.partner)
    endpoint = register(client, seller, f"http://127.0.0.1:{closed_port()}/down", ["core.lead_created"])
    activities.emit("core.lead_created", [seller.partner_id], {"leadId": new_id()})
    activities.fan_out()
    for _ in range(20):
        [delivery] = deliveries(client, seller, endpoint["id"])
        if delivery["status"] == "failed":
            break
        run_due_retries(app, jobs)
    assert delivery["status"] == "failed" and delivery["attempts"] >= 2
    assert "ConnectionRefusedError" in delivery["error"]
    shown = client.get(f"{hooks_url(seller)}/{endpoint['id']}", headers=seller.headers).get_json()
    assert shown["status"] == "disabled" and "ConnectionRefusedError" in shown["disabledReason"]

    activities.fan_out()
    told = activities.feed(seller, type="activity.webhook_disabled")["items"]
    assert len(told) == 1 and endpoint["url"] in told[0]["sentence"]
    assert activities.feed(member, type="activity.webhook_disabled")["items"] == []
    [mail] = [m for m in outbox() if m["subject"] == "A webhook endpoint was disabled after a day of failures"]
    assert mail["to"] == seller.user.email and endpoint["url"] in mail["text"]

    # Disabled endpoints get no new events until enabled again.
    activities.emit("core.lead_created", [seller.partner_id], {"leadId": new_id()})
    activities.fan_out()
    assert len(deliveries(client, seller, endpoint["id"])) == 1
    enabled = client.post(f"{hooks_url(seller)}/{endpoint['id']}/enable", headers=seller.headers)
    assert enabled.status_code == 200 and enabled.get_json()["status"] == "active"


def test_rotation_signs_with_both_secrets_during_the_grace_period(app, client, jobs, activities, seller):
    verify = docs_verifier()
    with Receiver([200]) as receiver:
        endpoint = register(client, seller, receiver.url)
        rotated = client.post(f"{hooks_url(seller)}/{endpoint['id']}/rotate-secret", headers=seller.headers)
        assert rotated.status_code == 200
        new_secret = rotated.get_json()["secret"]
        assert new_secret != endpoint["secret"] and rotated.get_json()["previousSecretValidUntil"]
        ping = client.post(f"{hooks_url(seller)}/{endpoint['id']}/ping", headers=seller.headers)
        assert ping.status_code == 202 and ping.get_json()["type"] == "ping"
        jobs.run()
        app.config["WEBHOOKS_ROTATION_GRACE_HOURS"] = 0.0  # a later rotation ends the old secret at once
        client.post(f"{hooks_url(seller)}/{endpoint['id']}/rotate-secret", headers=seller.headers)
        client.post(f"{hooks_url(seller)}/{endpoint['id']}/ping", headers=seller.headers)
        time.sleep(0.01)
        jobs.run()
    during, after = receiver.requests
    header = during.headers["X-PC-Signature"]
    assert header.count("v1=") == 2
    assert verify(new_secret, header, during.body) and verify(endpoint["secret"], header, during.body)
    assert json.loads(during.body)["type"] == "ping" and during.headers["X-PC-Event"] == "ping"
    assert after.headers["X-PC-Signature"].count("v1=") == 1
    assert not verify(endpoint["secret"], after.headers["X-PC-Signature"], after.body)


def test_the_secret_is_shown_once_and_stored_sealed(app, client, seller):
    endpoint = register(client, seller, "http://127.0.0.1:9/hooks")
    listed = client.get(hooks_url(seller), headers=seller.headers).get_json()["items"]
    assert [e["id"] for e in listed] == [endpoint["id"]] and "secret" not in listed[0]
    assert "secret" not in client.get(f"{hooks_url(seller)}/{endpoint['id']}", headers=seller.headers).get_json()
    from plugins.activity.models import WebhookEndpoint
    with app.app_context():
        stored = WebhookEndpoint._get_collection().find_one({"_id": endpoint["id"]})
    assert endpoint["secret"] not in json.dumps(stored, default=str)


def test_redelivery_sends_the_same_event_again_as_a_new_delivery(client, jobs, activities, seller):
    with Receiver([200]) as receiver:
        endpoint = register(client, seller, receiver.url)
        activities.emit("core.lead_deleted", [seller.partner_id], {"leadId": new_id()})
        activities.fan_out()
        [original] = deliveries(client, seller, endpoint["id"])
        again = client.post(f"{hooks_url(seller)}/{endpoint['id']}/deliveries/{original['id']}/redeliver",
                            headers=seller.headers)
        assert again.status_code == 202 and again.get_json()["redeliveryOf"] == original["id"]
        jobs.run()
    first, second = receiver.requests
    assert first.body == second.body
    assert first.headers["X-PC-Delivery"] != second.headers["X-PC-Delivery"]
    missing = client.post(f"{hooks_url(seller)}/{endpoint['id']}/deliveries/{new_id()}/redeliver",
                          headers=seller.headers)
    assert missing.status_code == 404


def test_redirects_are_not_followed(client, jobs, activities, seller):
    with Receiver([302]) as receiver:
        endpoint = register(client, seller, receiver.url)
        activities.emit("core.lead_deleted", [seller.partner_id], {"leadId": new_id()})
        activities.fan_out()
    assert len(receiver.requests) == 1
    [delivery] = deliveries(client, seller, endpoint["id"])
    assert delivery["responseCode"] == 302 and "redirect" in delivery["error"]


def test_who_may_manage_endpoints_and_bad_input(client, actors, seller, buyer):
    member = actors.member(seller.partner)
    body = {"url": "http://127.0.0.1:9/x", "eventTypes": ["*"]}
    assert client.post(hooks_url(seller), headers=member.headers, json=body).status_code == 403
    assert client.post(hooks_url(seller), headers=buyer.headers, json=body).status_code == 404
    assert client.post(hooks_url(seller), headers=actors.admin().headers, json=body).status_code == 403
    assert client.get(hooks_url(seller), headers=actors.admin().headers).status_code == 200
    unknown = client.post(hooks_url(seller), headers=seller.headers, json={**body, "eventTypes": ["nope.never"]})
    assert unknown.status_code == 422 and "eventTypes" in unknown.get_json()["errors"]
    assert client.post(hooks_url(seller), headers=seller.headers,
                       json={**body, "url": "ftp://example.com/x"}).status_code == 422
    endpoint = register(client, seller, body["url"])
    assert client.get(f"{hooks_url(buyer)}/{endpoint['id']}", headers=buyer.headers).status_code == 404
    assert client.delete(f"{hooks_url(seller)}/{endpoint['id']}", headers=member.headers).status_code == 403
    assert client.delete(f"{hooks_url(seller)}/{endpoint['id']}", headers=seller.headers).status_code == 204
    assert client.get(f"{hooks_url(seller)}/{endpoint['id']}", headers=seller.headers).status_code == 404


def test_endpoints_are_listed_a_page_at_a_time_oldest_first(client, seller):
    urls = [register(client, seller, f"http://127.0.0.1:9/{name}")["url"] for name in "abc"]
    first = client.get(hooks_url(seller), headers=seller.headers).get_json()
    assert [item["url"] for item in first["items"]] == urls
    assert {key: first[key] for key in ("total", "totalCapped", "page", "perPage", "pages")} == {
        "total": 3, "totalCapped": False, "page": 1, "perPage": 25, "pages": 1}
    second = client.get(f"{hooks_url(seller)}?perPage=2&page=2", headers=seller.headers).get_json()
    assert [item["url"] for item in second["items"]] == urls[2:] and second["pages"] == 2
    assert "secret" not in second["items"][0]


def test_the_endpoint_limit_is_a_409(app, client, seller):
    app.config["WEBHOOKS_MAX_ENDPOINTS"] = 2
    register(client, seller, "http://127.0.0.1:9/a")
    register(client, seller, "http://127.0.0.1:9/b")
    third = client.post(hooks_url(seller), headers=seller.headers,
                        json={"url": "http://127.0.0.1:9/c", "eventTypes": ["*"]})
    assert third.status_code == 409 and "endpointLimit" in third.get_json()["errors"]


def test_two_workers_holding_the_same_read_send_an_attempt_once(app, client, seller):
    """Forced interleaving: both workers read the delivery, then both try to claim it."""
    from plugins.activity.models import WebhookDelivery
    from plugins.activity.services import webhook_delivery

    endpoint = register(client, seller, "http://127.0.0.1:9/x")
    with app.app_context():
        from plugins.activity.models import WebhookEndpoint
        delivery = webhook_delivery.queue_ping(WebhookEndpoint.objects.get(id=endpoint["id"]))
        collection = WebhookDelivery._get_collection()
        read_by_a = collection.find_one({"_id": delivery.id})
        read_by_b = collection.find_one({"_id": delivery.id})
        assert webhook_delivery.claim_attempt(read_by_b) is True
        assert webhook_delivery.claim_attempt(read_by_a) is False
        assert collection.find_one({"_id": delivery.id})["attempts"] == 1


class RebindingResolver:
    """Answers a public address for the first lookups (registration), then a private one (delivery)."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.asked: list[str] = []

    def resolve(self, host, port):
        self.asked.append(host)
        return [self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]]


@pytest.fixture
def production_rules(app, monkeypatch):
    from plugins.activity.services import target_safety

    app.config["WEBHOOKS_TARGET_RULES"] = "production"
    return target_safety


@pytest.mark.parametrize("url", ["http://hooks.example.com/x", "https://127.0.0.1/x", "https://10.0.0.1/x",
                                 "https://169.254.169.254/latest/meta-data", "https://[::1]/x",
                                 "https://192.168.1.20/x", "https://100.64.0.1/x", "https://[fd00:ec2::254]/x",
                                 "https://user:pw@hooks.example.com/x", "https://0.0.0.0/x",
                                 "https://[2002:a9fe:a9fe::1]/x", "https://[2002:7f00:1::]/x"])
def test_production_rules_refuse_private_loopback_and_plain_http_targets(client, seller, production_rules, url):
    response = client.post(hooks_url(seller), headers=seller.headers, json={"url": url, "eventTypes": ["*"]})
    assert response.status_code == 422 and "url" in response.get_json()["errors"], response.get_json()


@pytest.mark.parametrize("address, public", [
    ("93.184.216.34", True), ("2606:2800:220:1:248:1893:25c8:1946", True),
    ("::ffff:169.254.169.254", False), ("::ffff:93.184.216.34", True),
    # 6to4 (2002::/16) and Teredo (2001:0::/32) embed IPv4 addresses: they are judged by them too.
    ("2002:a9fe:a9fe::1", False), ("2002:7f00:1::", False), ("2002:a00:1::1", False), ("2002:5db8:d822::1", True),
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", False),   # Teredo, client 127.0.0.1
    ("2001:0:a9fe:a9fe:8000:63bf:a2c9:cbda", False),   # Teredo, server 169.254.169.254
])
def test_ipv6_addresses_embedding_ipv4_are_judged_by_the_embedded_address(production_rules, address, public):
    assert production_rules.is_public_address(address) is public


def test_a_name_resolving_to_a_6to4_metadata_address_is_refused(production_rules, monkeypatch):
    monkeypatch.setattr(production_rules, "resolver", RebindingResolver("2002:a9fe:a9fe::1"))
    target = production_rules.parse_target("https://hooks.partner.example/pc", "production")
    with pytest.raises(production_rules.TargetRefused, match="2002:a9fe:a9fe::1"):
        production_rules.addresses_for(target, "production")


def test_a_name_rebinding_to_a_private_address_is_not_delivered_to(
        client, jobs, activities, seller, production_rules, monkeypatch):
    resolver = RebindingResolver("93.184.216.34", "10.0.0.1")
    monkeypatch.setattr(production_rules, "resolver", resolver)
    endpoint = register(client, seller, "https://hooks.partner.example/pc", ["core.lead_created"])
    assert resolver.asked == ["hooks.partner.example"]  # checked at registration

    activities.emit("core.lead_created", [seller.partner_id], {"leadId": new_id()})
    activities.fan_out()
    [delivery] = deliveries(client, seller, endpoint["id"])
    assert resolver.asked == ["hooks.partner.example"] * 2  # and again at delivery, after resolution
    assert delivery["status"] == "retrying" and delivery["responseCode"] is None
    assert delivery["error"].startswith("Refused:") and "10.0.0.1" in delivery["error"]


def test_loopback_registered_in_development_is_refused_at_delivery_under_production_rules(
        app, client, activities, seller):
    with Receiver([200]) as receiver:
        endpoint = register(client, seller, receiver.url)
        app.config["WEBHOOKS_TARGET_RULES"] = "production"
        activities.emit("core.lead_created", [seller.partner_id], {"leadId": new_id()})
        activities.fan_out()
    assert receiver.requests == []
    [delivery] = deliveries(client, seller, endpoint["id"])
    assert delivery["error"].startswith("Refused:")


def test_production_refuses_to_start_with_development_target_rules(app_config):
    from pc_app import create_app
    from pc_app.toolkit import ConfigError

    with pytest.raises(ConfigError, match="WEBHOOKS_TARGET_RULES"):
        create_app({**app_config, "WEBHOOKS_TARGET_RULES": "sometimes"})


def test_another_partners_deliveries_leave_an_endpoints_kept_delivery_list(app, client, jobs, activities, seller,
                                                                           buyer, db_commands):
    """Every write to a delivery names its partner: another partner's events, attempts, retries and results
    end nothing of my kept delivery list; my own next delivery shows at once."""
    with Receiver([200, 200]) as mine, Receiver([500, 200]) as theirs:
        my_endpoint = register(client, seller, mine.url, ["core.lead_created"])
        their_endpoint = register(client, buyer, theirs.url, ["core.lead_created"])
        activities.emit("core.lead_created", [seller.partner_id], {"leadId": new_id()})
        activities.fan_out()
        url = f"{hooks_url(seller)}/{my_endpoint['id']}/deliveries"
        first = client.get(url, headers=seller.headers).get_json()
        assert [item["status"] for item in first["items"]] == ["succeeded"]
        activities.emit("core.lead_created", [buyer.partner_id], {"leadId": new_id()})
        activities.fan_out()   # their delivery queued (an insert), claimed, answered 500 (a retry)
        run_due_retries(app, jobs)   # claimed again, succeeded
        assert [item["status"] for item in deliveries(client, buyer, their_endpoint["id"])] == ["succeeded"]
        with db_commands:
            again = client.get(url, headers=seller.headers).get_json()
        # Only the endpoint is read (a foreign one answers 404); the page is the kept one.
        assert (db_commands.commands, again) == (["find"], first)
        activities.emit("core.lead_created", [seller.partner_id], {"leadId": new_id()})
        activities.fan_out()
        assert len(deliveries(client, seller, my_endpoint["id"])) == 2


def test_hook_pc_sealed_fields(app, app_config, client, jobs, seller):
    """`pc-app rotate-keys` reseals the webhook signing secrets (this plugin's ``pc_sealed_fields``), current and
    previous: once the old key is retired, deliveries are still signed with both."""
    from click.testing import CliRunner

    from pc_app.cli import cli
    from pc_app.crypto import key_id
    from plugins.activity.models import WebhookEndpoint

    verify = docs_verifier()
    new_key = "c3" * 32
    with Receiver([200]) as receiver:
        endpoint = register(client, seller, receiver.url)
        rotated = client.post(f"{hooks_url(seller)}/{endpoint['id']}/rotate-secret", headers=seller.headers)
        new_secret = rotated.get_json()["secret"]
        env = {"PC_ENV": "development", "PC_PLUGINS": "activity", "MONGODB_URL": app_config["MONGODB_URL"],
               "MONGODB_DB": app_config["MONGODB_DB"], "REDIS_URL": app_config["REDIS_URL"],
               "ENCRYPTION_KEY": new_key, "ENCRYPTION_KEYS_OLD": app.config["ENCRYPTION_KEY"]}
        result = CliRunner().invoke(cli, ["rotate-keys"], env=env)
        assert result.exit_code == 0, result.output
        assert result.stdout == "secrets re-encrypted: 2, already current: 0, unreadable: 0\n"
        assert "re-encrypting webhook endpoints: 1/1 (100%), done in " in result.stderr
        with app.app_context():
            stored = WebhookEndpoint._get_collection().find_one({"_id": endpoint["id"]})
        assert {stored[field].split(".")[1] for field in ("secret", "previous_secret")} == \
            {key_id(bytes.fromhex(new_key))}
        assert CliRunner().invoke(cli, ["rotate-keys"], env=env).stdout.startswith(
            "secrets re-encrypted: 0, already current: 2")
        app.config.update(ENCRYPTION_KEY=new_key, ENCRYPTION_KEYS_OLD=[])  # the old key is retired
        assert client.post(f"{hooks_url(seller)}/{endpoint['id']}/ping", headers=seller.headers).status_code == 202
        jobs.run()
    [ping] = receiver.requests
    header = ping.headers["X-PC-Signature"]
    assert verify(new_secret, header, ping.body) and verify(endpoint["secret"], header, ping.body)
