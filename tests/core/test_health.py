"""Probes, the OpenAPI document and Swagger UI, and the development outbox."""
import pytest

from pc_app.devstack import free_port

from .api_checks import assert_error_shape


def test_healthz_needs_nothing(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_reports_both_services_ready(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "checks": {"mongodb": "ok", "redis": "ok"}}


@pytest.mark.parametrize("down", [("mongodb",), ("redis",), ("mongodb", "redis")])
def test_readyz_is_503_naming_what_is_unreachable(app_config, down):
    from pc_app import create_app

    dead = free_port()
    config = dict(app_config, MONGODB_TIMEOUT_MS=300)
    if "mongodb" in down:
        config["MONGODB_URL"] = f"mongodb://127.0.0.1:{dead}/"
    if "redis" in down:
        config["REDIS_URL"] = f"redis://127.0.0.1:{dead}/0"
    response = create_app(config).test_client().get("/readyz")
    body = assert_error_shape(response, 503)
    assert set(body["errors"]) == set(down)
    for name in down:
        assert name in body["message"]
    assert client_still_works_after_reconnect(app_config)


def client_still_works_after_reconnect(app_config):
    """create_app rebinds the database; a later app with good settings must work again."""
    from pc_app import create_app

    return create_app(dict(app_config)).test_client().get("/readyz").status_code == 200


def test_openapi_document_lists_core_routes_and_security(client):
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"] == "3.0.3"
    for path in ("/v1/auth/sign-in", "/v1/leads", "/v1/leads/{lead_id}", "/v1/partners", "/v1/users",
                 "/v1/plugins", "/healthz", "/readyz"):
        assert path in spec["paths"], path
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "Lead" in spec["components"]["schemas"]


def test_swagger_ui_is_served_from_local_assets(client):
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/docs/assets/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
    asset = client.get("/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.data) > 10_000
    asset.close()


def test_dev_outbox_lists_mail_newest_first_and_shows_one(client, actors, outbox):
    owner = actors.partner_owner()
    for email in ("first@example.test", "second@example.test"):
        client.post("/v1/users", headers=owner.headers, json={"email": email, "name": "Someone"})
    outbox()
    listed = client.get("/dev/outbox").get_json()
    assert [m["to"] for m in listed] == ["second@example.test", "first@example.test"]
    assert {"id", "to", "subject", "text", "html", "sentAt"} <= set(listed[0])
    one = client.get(f"/dev/outbox/{listed[1]['id']}").get_json()
    assert one["to"] == "first@example.test"
    assert_error_shape(client.get(f"/dev/outbox/{'e' * 24}"), 404)


def test_outbox_routes_do_not_exist_outside_development(app_config):
    from pc_app import create_app

    client = create_app({**app_config, "PC_ENV": "test"}).test_client()
    assert_error_shape(client.get("/dev/outbox"), 404)
    assert "/dev/outbox" not in client.get("/openapi.json").get_json()["paths"]


def test_readyz_is_503_when_redis_runs_in_cluster_mode(app_config, tmp_path):
    """A Redis in cluster mode answers PING, but RQ and the app's multi-key reads cannot use it: said at once."""
    import subprocess

    from pc_app import create_app
    from pc_app.devstack import redis_server_binary, wait_for_port

    port = free_port()
    server = subprocess.Popen([redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--cluster-enabled", "yes", "--dir", str(tmp_path),
                               "--cluster-config-file", str(tmp_path / "nodes.conf"),
                               # The bus port defaults to port + 10,000: past 65,535 for a high free port, and
                               # the server then exits. One of its own, free, every run.
                               "--cluster-port", str(free_port())],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, 10.0, server, "redis in cluster mode")
        response = create_app(dict(app_config, REDIS_URL=f"redis://127.0.0.1:{port}/0")).test_client().get("/readyz")
        body = assert_error_shape(response, 503)
        assert body["errors"] == {"redis": ["clusterMode"]} and "cluster mode" in body["message"]
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert client_still_works_after_reconnect(app_config)


def test_readyz_asks_each_service_within_a_bound_the_kubelet_waits_for(app_config, caplog):
    """The kubelet gives /readyz 3 s, the app's MongoDB client waits 5 s for a server: readiness asks with a
    bound of its own, so a MongoDB that is down shows as a 503 rather than as a probe that timed out."""
    import json
    import logging
    from pathlib import Path

    import yaml

    from pc_app import create_app
    from pc_app.core.system.routes import READINESS_CHECK_SECONDS

    deployment = next(doc for doc in yaml.safe_load_all((Path(__file__).parents[2] / "k8s" / "api-deployment.yaml")
                                                        .read_text()) if doc and doc["kind"] == "Deployment")
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    # Both services down are asked one after the other, and both answers must arrive within the probe's timeout.
    assert 2 * READINESS_CHECK_SECONDS < container["readinessProbe"]["timeoutSeconds"]

    config = {key: value for key, value in app_config.items() if key != "MONGODB_TIMEOUT_MS"}
    config["MONGODB_URL"] = f"mongodb://127.0.0.1:{free_port()}/"  # nothing listens there
    app = create_app(config)
    caplog.set_level(logging.DEBUG, logger="pymongo.serverSelection")
    body = assert_error_shape(app.test_client().get("/readyz"), 503)
    assert body["errors"] == {"mongodb": ["unreachable"]} and "mongodb" in body["message"]
    # pymongo says how long it was given to find a server: the readiness bound, not the client's 5 s.
    waits = [json.loads(str(record.msg))["remainingTimeMS"] for record in caplog.records
             if record.name == "pymongo.serverSelection" and "remainingTimeMS" in str(record.msg)]
    assert waits and all(0 < wait <= READINESS_CHECK_SECONDS * 1000 for wait in waits)

    # Redis: a client of its own that neither waits long to connect or for a reply nor retries.
    probe_redis = app.extensions["pc_probe_redis"].connection_pool.connection_kwargs
    assert probe_redis["socket_connect_timeout"] + probe_redis["socket_timeout"] <= READINESS_CHECK_SECONDS
    assert probe_redis["retry"].get_retries() == 0
