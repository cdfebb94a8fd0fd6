"""Every manifest validates against the Kubernetes schemas and gives the app every setting it reads."""
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from pc_app.config import CORE_SETTINGS, ConfigError, load_config
from pc_app.plugins import build_plugin_manager

K8S = Path(__file__).resolve().parents[2] / "k8s"
# A version whose schemas kubernetes-validate bundles, and the oldest cluster we support.
KUBERNETES_VERSION = "1.30"
MANIFEST_FILES = sorted(p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def documents(name: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all((K8S / name).read_text()) if doc]


def all_documents() -> list[dict]:
    return [doc for name in MANIFEST_FILES for doc in documents(name)]


def one(kind: str, name: str) -> dict:
    [doc] = [d for d in all_documents() if d["kind"] == kind and d["metadata"]["name"] == name]
    return doc


def settings_the_app_reads() -> set[str]:
    """The core's settings plus those of every installed plugin, asked through the plugin manager."""
    from pc_app.plugins import plugin_settings

    pm, infos = build_plugin_manager([])
    return set(CORE_SETTINGS) | set(plugin_settings(pm, infos))


def provided(kind: str) -> dict:
    [doc] = [d for d in all_documents() if d["kind"] == kind]
    return doc.get("data") or doc.get("stringData") or {}


def app_containers():
    for doc in all_documents():
        if doc["kind"] == "Deployment":
            spec = doc["spec"]["template"]["spec"]
            for container in spec.get("initContainers", []) + spec["containers"]:
                yield doc["metadata"]["name"], container


@pytest.mark.parametrize("name", MANIFEST_FILES)
def test_manifest_validates_against_the_kubernetes_schema(name):
    for doc in documents(name):
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_kustomization_lists_every_manifest_but_the_example_secret():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(n for n in MANIFEST_FILES if n != "secret.example.yaml")


@pytest.mark.parametrize("setting", sorted(settings_the_app_reads()))
def test_every_setting_the_app_reads_comes_from_the_configmap_or_the_secret(setting):
    assert setting in provided("ConfigMap") or setting in provided("Secret"), \
        f"{setting} is read by the app but set neither in k8s/configmap.yaml nor in k8s/secret.example.yaml"


def test_secrets_live_only_in_the_secret_and_it_holds_placeholders_the_app_refuses():
    secret, config = provided("Secret"), provided("ConfigMap")
    for name in ("JWT_SECRET", "CRON_SECRET", "ENCRYPTION_KEY", "MAILGUN_API_KEY", "MONGODB_URL", "REDIS_URL",
                 "HUBSPOT_CLIENT_SECRET", "HUBSPOT_APP_SECRET"):
        assert name in secret and name not in config
    assert all(value == "" or "REPLACE_ME" in value or "PASSWORD" in value for value in secret.values())
    with pytest.raises(ConfigError):
        load_config({}, environ={**config, **secret})


def test_every_app_container_gets_the_configmap_and_the_secret():
    for deployment, container in app_containers():
        sources = {next(iter(ref.values()))["name"] for ref in container["envFrom"]}
        assert sources == {"partner-connector-config", "partner-connector-secrets"}, deployment


def test_api_runs_three_hardened_replicas_with_probes():
    api = one("Deployment", "partner-connector-api")
    pod = api["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert api["spec"]["replicas"] == 3
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["resources"]["requests"] and container["resources"]["limits"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    for c in pod["containers"] + pod["initContainers"]:
        assert c["securityContext"]["readOnlyRootFilesystem"] is True
        assert {"name": "tmp", "mountPath": "/tmp"} in c["volumeMounts"]
    assert {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}} in pod["volumes"]
    assert pod["initContainers"][0]["command"] == ["pc-app", "db-init"]
    assert pod["terminationGracePeriodSeconds"] > 25  # gunicorn's graceful timeout


def test_worker_and_single_scheduler():
    worker = one("Deployment", "partner-connector-worker")
    assert worker["spec"]["template"]["spec"]["containers"][0]["command"] == ["pc-app", "worker", "--with-scheduler"]
    scheduler = one("Deployment", "partner-connector-scheduler")
    assert scheduler["spec"]["replicas"] == 1 and scheduler["spec"]["strategy"]["type"] == "Recreate"


def test_hpa_pdb_and_service_target_the_api():
    api_labels = one("Deployment", "partner-connector-api")["spec"]["selector"]["matchLabels"]
    assert one("HorizontalPodAutoscaler", "partner-connector-api")["spec"]["scaleTargetRef"]["name"] == \
        "partner-connector-api"
    assert one("PodDisruptionBudget", "partner-connector-api")["spec"]["selector"]["matchLabels"] == api_labels
    assert one("Service", "partner-connector-api")["spec"]["selector"] == api_labels


def test_cronjobs_call_the_internal_cron_endpoint_with_the_secret_from_the_secret():
    cronjobs = [d for d in all_documents() if d["kind"] == "CronJob"]
    assert cronjobs
    for cronjob in cronjobs:
        [container] = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e for e in container["env"]}
        assert env["CRON_SECRET"]["valueFrom"]["secretKeyRef"] == {"name": "partner-connector-secrets",
                                                                  "key": "CRON_SECRET"}
        script = " ".join(container["command"])
        assert "/v1/internal/cron/$JOB_ID" in script and "X-Cron-Secret" in script
        assert "$CRON_SECRET" not in script.split("curl", 1)[1]  # never on curl's command line


def test_dockerfile_builds_from_python_311_slim_and_runs_as_non_root():
    dockerfile = (K8S.parent / "Dockerfile").read_text().splitlines()
    assert "FROM python:3.11-slim" in dockerfile
    users = [line.split()[1] for line in dockerfile if line.startswith("USER ")]
    assert users and not users[-1].startswith(("0", "root"))


def test_gunicorn_config_disables_the_control_socket():
    import runpy

    settings = runpy.run_path(str(K8S.parent / "gunicorn.conf.py"))
    assert settings["control_socket_disable"] is True
    assert settings["graceful_timeout"] < 40


def test_cronjobs_name_job_ids_the_installed_plugins_declare():
    pm, infos = build_plugin_manager([])
    declared = {spec.id for specs in pm.hook.pc_register_jobs() for spec in specs or []}
    installed = {info.name for info in infos}
    for cronjob in (d for d in all_documents() if d["kind"] == "CronJob"):
        [container] = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
        job_id = next(e["value"] for e in container["env"] if e["name"] == "JOB_ID")
        # A job of a plugin that is not installed yet cannot be checked; an installed one must match.
        if job_id.split(".", 1)[0] in installed:
            assert job_id in declared, f"{cronjob['metadata']['name']} calls {job_id}, declared: {sorted(declared)}"


def test_only_the_ingress_controllers_addresses_may_name_the_client():
    import ipaddress

    config = provided("ConfigMap")
    assert "TRUSTED_PROXIES" not in config  # the hop count is no longer read
    networks = [ipaddress.ip_network(entry.strip()) for entry in config["TRUSTED_PROXY_ADDRESSES"].split(",")]
    assert networks and all(network.is_private for network in networks)  # cluster-internal, never 0.0.0.0/0


def test_gunicorn_trusts_forwarded_headers_from_the_same_proxies_as_the_app(monkeypatch):
    import runpy

    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    monkeypatch.setenv("TRUSTED_PROXY_ADDRESSES", "10.244.0.0/16")
    assert runpy.run_path(str(K8S.parent / "gunicorn.conf.py"))["forwarded_allow_ips"] == "10.244.0.0/16"
    monkeypatch.delenv("TRUSTED_PROXY_ADDRESSES")
    assert runpy.run_path(str(K8S.parent / "gunicorn.conf.py"))["forwarded_allow_ips"] == "127.0.0.1,::1"
