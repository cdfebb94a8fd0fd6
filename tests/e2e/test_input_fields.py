"""Every input of every installed plugin is bounded and strict, in its schema and in the OpenAPI document.

The class of bug: an unbounded integer reaching MongoDB (``?minPrice=9223372036854775808`` was a
500), a boolean that takes ``1``, a ``format: url`` no validator knows, a route that inherits a
bearer requirement it does not enforce. These tests walk what is registered, so a new plugin
cannot bring one back.
"""
import marshmallow as ma
import pytest

from pc_app.core import fields as core_fields

pytestmark = pytest.mark.e2e

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
METHODS = ("get", "put", "post", "patch", "delete")


def argument_schemas(app):
    """(operation, location, schema) for every ``@blp.arguments`` of every registered view."""
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        functions = ([getattr(view_class, m.lower()) for m in rule.methods if hasattr(view_class, m.lower())]
                     if view_class else [view])
        for function in functions:
            for parameter in getattr(function, "_apidoc", {}).get("arguments", {}).get("parameters", []):
                schema = parameter["schema"]
                schema = schema() if isinstance(schema, type) else schema
                yield f"{rule.rule} ({rule.endpoint})", parameter["in"], schema


def walk_fields(schema, path=""):
    """(dotted path, field) for every field of a schema, nested schemas, list items and dict values included."""
    stack = [(path, field) for path, field in ((f"{path}{n}", f) for n, f in schema.fields.items())]
    while stack:
        path, field = stack.pop()
        yield path, field
        if isinstance(field, ma.fields.Nested):
            nested = field.schema
            stack.extend((f"{path}.{n}", f) for n, f in nested.fields.items())
        elif isinstance(field, ma.fields.List):
            stack.append((f"{path}[]", field.inner))
        elif isinstance(field, ma.fields.Dict):
            for part, inner in (("keys", field.key_field), ("values", field.value_field)):
                if inner is not None:
                    stack.append((f"{path}{{{part}}}", inner))


def input_fields(app):
    for operation, location, schema in argument_schemas(app):
        for path, field in walk_fields(schema):
            if not field.dump_only:
                yield f"{operation} {location} {path}", field


def test_the_walk_sees_every_plugins_arguments(app):
    operations = {operation for operation, _location, _schema in argument_schemas(app)}
    assert any("/v1/marketplace/" in operation for operation in operations)
    assert any("/v1/integrations/hubspot/" in operation for operation in operations)
    assert any("register-partner" in operation for operation in operations)


def test_every_integer_argument_is_the_bounded_integer(app):
    unbounded = [name for name, field in input_fields(app)
                 if isinstance(field, ma.fields.Number) and not isinstance(field, core_fields.Integer)]
    assert unbounded == [], "use pc_app.toolkit.Integer (bounded to signed 64 bits) for these"
    for name, field in input_fields(app):
        if isinstance(field, core_fields.Integer):
            assert INT64_MIN <= field.minimum <= field.maximum <= INT64_MAX, name


def test_every_boolean_argument_takes_only_true_or_false(app):
    loose = [name for name, field in input_fields(app)
             if isinstance(field, ma.fields.Boolean) and not isinstance(field, core_fields.Boolean)]
    assert loose == [], "use pc_app.toolkit.Boolean for these"


def test_no_argument_uses_marshmallows_url_field(app):
    # It documents the non-standard ``format: url`` and refuses much that ``uri`` allows.
    urls = [name for name, field in input_fields(app) if isinstance(field, ma.fields.Url)]
    assert urls == [], "use pc_app.toolkit.Website for these"


def openapi(client) -> dict:
    return client.get("/openapi.json").get_json()


def schemas_in(node, spec, seen=None):
    """Every schema object reachable from ``node``, references followed once."""
    seen = set() if seen is None else seen
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str):
                if ref not in seen:
                    seen.add(ref)
                    target = spec
                    for part in ref.lstrip("#/").split("/"):
                        target = target[part]
                    stack.append(target)
                continue
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def operations_of(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, {**operation, "parameters": item.get("parameters", []) +
                                     operation.get("parameters", [])}


def request_schemas(spec):
    for path, method, operation in operations_of(spec):
        label = f"{method.upper()} {path}"
        for parameter in operation["parameters"]:
            for schema in schemas_in(parameter.get("schema", {}), spec):
                yield label, schema
        for media in operation.get("requestBody", {}).get("content", {}).values():
            for schema in schemas_in(media.get("schema", {}), spec):
                yield label, schema


def test_every_documented_integer_input_has_bounds_within_64_bits(client):
    spec = openapi(client)
    unbounded = [label for label, schema in request_schemas(spec) if schema.get("type") == "integer"
                 and not (INT64_MIN <= schema.get("minimum", INT64_MIN - 1) and
                          schema.get("maximum", INT64_MAX + 1) <= INT64_MAX)]
    assert unbounded == []


def test_no_documented_format_is_non_standard(client):
    spec = openapi(client)
    assert [label for label, schema in request_schemas(spec) if schema.get("format") == "url"] == []


def test_every_operation_states_its_security_and_public_ones_state_none(client):
    spec = openapi(client)
    assert "security" not in spec  # no global requirement for operations to inherit by accident
    public = {"POST /v1/auth/sign-in", "POST /v1/auth/register-partner", "POST /v1/auth/verify-registration",
              "POST /v1/auth/forgot-password", "POST /v1/auth/reset-password", "POST /v1/auth/resend-verification",
              "GET /v1/integrations/hubspot/callback", "POST /v1/integrations/hubspot/webhooks", "GET /healthz",
              "GET /readyz", "GET /dev/outbox", "GET /dev/outbox/{message_id}", "GET /v1/plugins",
              # Stripe signs its webhook; an unsubscribe link carries its own token; EventSource
              # cannot send headers, so the stream also takes a single-use ticket in the query.
              "POST /v1/payments/webhooks/stripe", "GET /v1/notifications/unsubscribe",
              "POST /v1/notifications/unsubscribe", "GET /v1/activities/stream"}
    stated = {f"{method.upper()} {path}": operation.get("security") for path, method, operation in operations_of(spec)}
    assert all(security is not None for security in stated.values())
    assert {label for label, security in stated.items() if security == []} == public
    assert stated["POST /v1/auth/refresh"] == [{"refreshToken": []}]
    assert stated["POST /v1/internal/cron/{job_id}"] == [{"cronSecret": []}]
    assert spec["components"]["securitySchemes"]["cronSecret"] == {
        "type": "apiKey", "in": "header", "name": "X-Cron-Secret", "description": "CRON_SECRET, for external schedulers"}
    assert stated["GET /v1/auth/me"] == [{"bearerAuth": []}]
    for label, security in stated.items():
        if security:
            operation = spec["paths"][label.split(" ", 1)[1]][label.split(" ", 1)[0].lower()]
            assert "401" in operation["responses"], label


def test_every_json_body_operation_documents_the_readers_refusals(client):
    spec = openapi(client)
    for path, method, operation in operations_of(spec):
        if "application/json" in operation.get("requestBody", {}).get("content", {}):
            assert {"400", "413", "422"} <= set(operation["responses"]), f"{method.upper()} {path}"
