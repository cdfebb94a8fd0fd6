"""The registry drives `pc-app dev` and the fixtures: a configured real service, or production, starts nothing."""
import subprocess
import sys

from pc_app.devservices import start_dev_services
from pc_app.sandboxes import SANDBOXES


def test_every_sandbox_declares_its_real_service_variable():
    assert {name: spec.real_service_env for name, spec in SANDBOXES.items()} == {
        "hubspot": "HUBSPOT_API_BASE", "stripe": "STRIPE_API_BASE"}


def test_real_services_configured_means_no_sandbox_is_started(monkeypatch, tmp_path):
    monkeypatch.setenv("HUBSPOT_API_BASE", "https://api.hubapi.com")
    monkeypatch.setenv("STRIPE_API_BASE", "https://api.stripe.com")
    assert start_dev_services(tmp_path) == ({}, [])


def test_production_never_starts_a_sandbox(monkeypatch, tmp_path):
    for spec in SANDBOXES.values():
        monkeypatch.delenv(spec.real_service_env, raising=False)
    monkeypatch.setenv("PC_ENV", "production")
    assert start_dev_services(tmp_path) == ({}, [])


def test_dev_points_the_app_at_the_stripe_sandbox(monkeypatch, tmp_path):
    monkeypatch.setenv("HUBSPOT_API_BASE", "https://api.hubapi.com")
    monkeypatch.delenv("STRIPE_API_BASE", raising=False)
    monkeypatch.setenv("PC_DEV_PORT", "3999")
    env, started = start_dev_services(tmp_path)
    try:
        [service] = started
        assert set(env) == {"STRIPE_API_BASE", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_SANDBOX_DISPLAY"}
        assert env["STRIPE_API_BASE"] == service.url and service.admin_url in env["STRIPE_SANDBOX_DISPLAY"]
        handle = SANDBOXES["stripe"].handle(service.url, service.options)
        assert handle.admin.config()["webhookUrl"] == "http://127.0.0.1:3999/v1/payments/webhooks/stripe"
        account = handle.client(env["STRIPE_SECRET_KEY"]).v1.accounts.create({"type": "express"})
    finally:
        for running in started:
            running.stop()
    restarted = SANDBOXES["stripe"].start_for_dev(tmp_path, "http://127.0.0.1:3999")
    try:  # its data survives a restart of the stack
        again = SANDBOXES["stripe"].handle(restarted.url, restarted.options).client()
        assert again.v1.accounts.retrieve(account.id).type == "express"
    finally:
        restarted.stop()


def test_the_command_names_the_sandboxes_it_knows():
    result = subprocess.run([sys.executable, "-m", "pc_app.sandboxes"], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "{hubspot,stripe}" in result.stderr
