"""The plugin as the core sees it: its settings, its routes in the OpenAPI document, its listing."""
import re

from plugins.registration import __version__
from plugins.registration import plugin as registration_plugin

ROUTES = {
    ("/v1/auth/register-partner", "post"), ("/v1/auth/resend-verification", "post"),
    ("/v1/auth/verify-registration", "post"), ("/v1/partners/{partner_id}/onboarding", "get"),
    ("/v1/partners/{partner_id}/activate", "post"), ("/v1/partners/{partner_id}/suspend", "post"),
    ("/v1/partners/{partner_id}/reinstate", "post"),
}


def test_hook_pc_config_defaults_registration_declares_limit_and_link_lifetime(app):
    from pc_app.toolkit import Setting

    defaults = registration_plugin.pc_config_defaults()
    assert {name: (s.default, s.kind, s.aliases) for name, s in defaults.items()} == {
        "REGISTRATION_RATELIMIT": ("5 per minute", "str", ()),
        "REGISTRATION_VERIFICATION_HOURS": (48, "int", ("VERIFICATION_HOURS",))}
    assert all(isinstance(s, Setting) and s.description for s in defaults.values())
    assert app.config["REGISTRATION_VERIFICATION_HOURS"] == 48


def test_the_old_verification_setting_name_is_still_read(app_config, monkeypatch):
    from pc_app import create_app

    monkeypatch.setenv("VERIFICATION_HOURS", "12")
    assert create_app(dict(app_config)).config["REGISTRATION_VERIFICATION_HOURS"] == 12


def test_hook_pc_register_blueprints_registration_serves_every_route(app):
    names = {blp.name for blp in registration_plugin.pc_register_blueprints(app)}
    assert names == {"registration", "registration_partners"}
    rules = {(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method.lower())
             for rule in app.url_map.iter_rules() for method in rule.methods if method in ("GET", "POST")}
    assert ROUTES <= rules


def test_every_route_is_documented_with_a_summary(client):
    spec = client.get("/openapi.json").get_json()
    for path, method in ROUTES:
        operation = spec["paths"][path][method]
        assert operation.get("summary"), (path, method)
    register_body = spec["paths"]["/v1/auth/register-partner"]["post"]["requestBody"]
    schema_ref = register_body["content"]["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
    assert set(schema["required"]) == {"companyName", "name", "email"}


def test_plugin_is_listed_with_its_version(client):
    listed = {p["name"]: p for p in client.get("/v1/plugins").get_json()}
    assert listed["registration"]["version"] == __version__ == "1.0.0"
    assert set(listed["registration"]["blueprints"]) == {"registration", "registration_partners"}
