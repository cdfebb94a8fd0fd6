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
                 "HUBSPOT_CLIENT_SECRET", "HUBSPOT_APP_SECRET", "METRICS_TOKEN"):
        assert name in secret and name not in config
    assert all(value == "" or "REPLACE_ME" in value or "PASSWORD" in value for value in secret.values())
    with pytest.raises(ConfigError):
        load_config({}, environ={**config, **secret})


def test_the_documented_secret_command_creates_every_key_production_requires():
    """docs/operations.md, Deploy step 2: the command that creates the Secret names every key of the example
    Secret, among them every credential an installed plugin requires in production."""
    import re

    from pc_app.config import CORE_SETTINGS, as_setting
    from pc_app.plugins import plugin_settings

    operations = (K8S.parent / "docs" / "operations.md").read_text()
    [command] = [block for block in re.findall(r"```sh\n(.*?)```", operations, re.DOTALL)
                 if "create secret generic partner-connector-secrets" in block]
    named = re.findall(r"--from-literal=([A-Z0-9_]+)=", command)
    assert len(named) == len(set(named)) and set(named) == set(provided("Secret"))
    pm, infos = build_plugin_manager([])
    required = {name: setting for name, setting in plugin_settings(pm, infos).items()
                if setting.required_in_production}
    assert {"STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "HUBSPOT_CLIENT_SECRET"} <= set(required)
    for name, setting in required.items():
        assert name in named if setting.secret else name in provided("ConfigMap"), name
    core_required = {name for name, declared in CORE_SETTINGS.items() if as_setting(declared).required_in_production}
    assert {"JWT_SECRET", "CRON_SECRET", "ENCRYPTION_KEY"} <= core_required
    assert {*core_required, "MONGODB_URL", "REDIS_URL", "MAILGUN_API_KEY"} <= set(named)


REAL_LOOKING = {"MONGODB_URL": "mongodb+srv://app:k9Qz2vLx7Rm4@cluster0.abcde.mongodb.net/partner_connector",
                "REDIS_URL": "rediss://:k9Qz2vLx7Rm4Tp8W@redis.internal:6380/0",
                "JWT_SECRET": "j" + "9f2c41d8e7b6a5f4" * 3, "CRON_SECRET": "c" + "7e1d3b5a9c2f4e6d" * 3,
                "ENCRYPTION_KEY": "ab" * 32, "MAILGUN_API_KEY": "key-" + "3f9a" * 8,
                "INITIAL_OWNER_PASSWORD": "Kq7-long-owner-pass-2026", "METRICS_TOKEN": "9c" * 16,
                "HUBSPOT_CLIENT_ID": "5f0c2a8e-3b7d-4c1e-9a6f-2d8b4e7c1a93",
                "HUBSPOT_CLIENT_SECRET": "a7c3e9f1-6b2d-4f8a-8e5c-1d9b7f3a2c64",
                "HUBSPOT_APP_SECRET": "e2b8d4a6-9c1f-4e3b-a7d5-6f0c8b2e4a17",
                "STRIPE_SECRET_KEY": "sk_live_51Hx9QzLmN4pR7tV2wY8bC3dF6gJ0kS5",
                "STRIPE_WEBHOOK_SECRET": "whsec_Q3mZ8vK1pX7rT4wN9bL2cF6hJ0dS5gY8"}


def _placeholders() -> list[tuple[str, str]]:
    return [(name, value) for name, value in {**provided("ConfigMap"), **provided("Secret")}.items()
            if "REPLACE" in value or "PASSWORD" in value]


def test_the_manifests_load_in_production_once_every_placeholder_is_replaced():
    from pc_app.plugins import plugin_settings

    environ = {**provided("ConfigMap"), **provided("Secret"), **REAL_LOOKING}
    assert load_config({}, plugin_settings(*build_plugin_manager([])), environ=environ)["PC_ENV"] == "production"


@pytest.mark.parametrize("name, placeholder", _placeholders())
def test_production_refuses_each_placeholder_of_the_manifests_naming_its_setting(name, placeholder):
    from pc_app.plugins import plugin_settings

    environ = {**provided("ConfigMap"), **provided("Secret"), **REAL_LOOKING, name: placeholder}
    with pytest.raises(ConfigError, match=f"^{name} "):
        load_config({}, plugin_settings(*build_plugin_manager([])), environ=environ)


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


def test_workers_grace_outlasts_every_job_but_the_two_that_resume_from_a_checkpoint():
    """docs/operations.md, "Rollouts": which jobs finish within the workers' grace, and how a cut sync resumes."""
    import inspect

    from pc_app.jobs import enqueue, registered_job_specs

    grace = one("Deployment", "partner-connector-worker")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    specs = registered_job_specs(app_with_every_installed_plugin())
    default_timeout = inspect.signature(enqueue).parameters["timeout"].default
    # Every periodic job, and every job queued without a timeout of its own, finishes in a warm shutdown.
    assert grace > max([spec.timeout for spec in specs.values()] + [default_timeout])
    # A sync task may run for an hour: it is cut rather than waited for, and resumes from its checkpoint
    # once its lease lapses, queued again by the 15-minute sync.sync_partners at its first or second tick.
    config = provided("ConfigMap")
    assert grace < int(config["SYNC_JOB_TIMEOUT_SECONDS"])
    assert int(config["SYNC_LEASE_SECONDS"]) < specs["sync.sync_partners"].interval
    assert f"Worker pods get {grace} s" in (K8S.parent / "docs" / "operations.md").read_text()


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
    # The base image is an argument, so that a release build can name it by digest (docs/operations.md).
    assert dockerfile.index("ARG PYTHON_IMAGE=python:3.11-slim") < dockerfile.index("FROM ${PYTHON_IMAGE}")
    assert [line for line in dockerfile if line.startswith("FROM ")] == ["FROM ${PYTHON_IMAGE}"]
    users = [line.split()[1] for line in dockerfile if line.startswith("USER ")]
    assert users and not users[-1].startswith(("0", "root"))


def test_gunicorn_config_disables_the_control_socket():
    import runpy

    settings = runpy.run_path(str(K8S.parent / "gunicorn.conf.py"))
    assert settings["control_socket_disable"] is True
    assert settings["graceful_timeout"] < 40


def app_with_every_installed_plugin():
    from pc_app import create_app

    return create_app({"PC_PLUGINS": [], "PC_ENV": "test"})


def test_every_cronjob_names_a_job_of_an_app_with_every_installed_plugin():
    from pc_app.jobs import registered_job_specs

    declared = registered_job_specs(app_with_every_installed_plugin())
    cronjobs = [d for d in all_documents() if d["kind"] == "CronJob"]
    named = set()
    for cronjob in cronjobs:
        [container] = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
        job_id = next(e["value"] for e in container["env"] if e["name"] == "JOB_ID")
        assert job_id in declared, f"{cronjob['metadata']['name']} calls {job_id}, declared: {sorted(declared)}"
        named.add(job_id)
    assert named == set(declared), "every periodic job has its CronJob"



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


def test_cronjobs_yaml_is_generated_from_the_job_specs():
    from pc_app.jobs import registered_job_specs
    from pc_app.k8s_cronjobs import render_cronjobs

    expected = render_cronjobs(registered_job_specs(app_with_every_installed_plugin()).values())
    assert (K8S / "cronjobs.yaml").read_text() == expected, \
        "regenerate it: PC_PLUGINS= .venv/bin/pc-app k8s-cronjobs > k8s/cronjobs.yaml"


def test_cronjob_schedules_never_run_a_job_more_often_than_its_spec():
    from pc_app.jobs import JobSpec
    from pc_app.k8s_cronjobs import cron_schedule

    def schedule(**period):
        return cron_schedule(JobSpec(id="x.y", func="x.y", **period))[0]

    assert schedule(interval=30) == "* * * * *"  # Kubernetes' finest grain
    assert schedule(interval=60) == "* * * * *"
    assert schedule(interval=300) == "*/5 * * * *"
    assert schedule(interval=420) == "*/10 * * * *"
    assert schedule(interval=3600) == "0 * * * *"
    assert schedule(interval=5 * 3600) == "0 */6 * * *"
    assert schedule(cron="15 3 * * 1") == "15 3 * * 1"


def test_only_the_event_stream_gets_long_timeouts_and_unbuffered_responses():
    api = one("Ingress", "partner-connector-api")
    stream = one("Ingress", "partner-connector-api-stream")
    long_lived = {"nginx.ingress.kubernetes.io/proxy-buffering", "nginx.ingress.kubernetes.io/proxy-read-timeout",
                  "nginx.ingress.kubernetes.io/proxy-send-timeout"}
    assert not long_lived & set(api["metadata"]["annotations"])
    assert stream["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert int(stream["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 600
    [rule] = stream["spec"]["rules"]
    assert [(p["path"], p["pathType"]) for p in rule["http"]["paths"]] == [("/v1/activities/stream", "Exact")]
    assert rule["host"] == api["spec"]["rules"][0]["host"]


def test_network_policies_admit_the_api_only_from_the_ingress_cron_and_prometheus_and_nothing_else():
    api_labels = one("Deployment", "partner-connector-api")["spec"]["selector"]["matchLabels"]
    policy = one("NetworkPolicy", "partner-connector-api")
    assert policy["spec"]["podSelector"]["matchLabels"] == api_labels
    sources = [peer for rule in policy["spec"]["ingress"] for peer in rule["from"]]
    namespaces = {p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
                  for p in sources if "namespaceSelector" in p}
    assert namespaces == {"ingress-nginx", "monitoring"}
    assert {"app.kubernetes.io/name": "partner-connector", "app.kubernetes.io/component": "cron"} in [
        p["podSelector"]["matchLabels"] for p in sources if "namespaceSelector" not in p]
    assert {port["port"] for rule in policy["spec"]["ingress"] for port in rule["ports"]} == {3000}
    closed = one("NetworkPolicy", "partner-connector-no-ingress")
    assert closed["spec"]["ingress"] == [] and closed["spec"]["policyTypes"] == ["Ingress"]
    [selector] = closed["spec"]["podSelector"]["matchExpressions"]
    assert set(selector["values"]) == {"worker", "scheduler", "cron"}


@pytest.mark.parametrize("deployment, role", [("partner-connector-worker", "worker"),
                                              ("partner-connector-scheduler", "scheduler")])
def test_worker_and_scheduler_have_liveness_probes_on_their_heartbeat(deployment, role):
    from pc_app.cli import cli

    [container] = one("Deployment", deployment)["spec"]["template"]["spec"]["containers"]
    assert container["livenessProbe"]["exec"]["command"] == ["pc-app", "health", role]
    assert role in cli.commands["health"].params[0].type.choices
    # RQ's idle heartbeat lapses after 120 s: the probe must give it that long before a restart.
    probe = container["livenessProbe"]
    assert probe["periodSeconds"] * probe["failureThreshold"] >= 60


def test_service_monitor_scrapes_the_api_service_with_the_metrics_token():
    monitoring = K8S / "monitoring"
    assert yaml.safe_load((monitoring / "kustomization.yaml").read_text())["resources"] == ["..",
                                                                                           "servicemonitor.yaml"]
    [monitor] = yaml.safe_load_all((monitoring / "servicemonitor.yaml").read_text())
    service = one("Service", "partner-connector-api")
    assert monitor["kind"] == "ServiceMonitor"
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    [endpoint] = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {port["name"] for port in service["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"
    credentials = endpoint["authorization"]["credentials"]
    assert credentials["name"] == "partner-connector-secrets" and credentials["key"] in provided("Secret")
