"""The test kit's fuzzer: every operation of the OpenAPI document, generated and hostile input, real ids.

``fuzz_api(app, headers, mode)`` runs one of three modes over every operation the app
documents (the core's and every enabled plugin's) and returns one line per problem:

- ``positive`` and ``negative``: schemathesis generates requests valid (or invalid) by the
  schema and runs every check it has (server errors, status codes, content types, response
  schemas, accepted invalid data, rejected valid data, authentication that is declared but
  not enforced...). A schema-valid request refused with 400/422 is a failure unless every
  field the refusal names carries ``x-validated-beyond-schema`` (a rule no schema can state).
- ``hostile``: hand-made shapes no generator sends by accident: 1,000-deep nesting, lone
  surrogates, NUL, 5,000-digit integers, 2**63, Unicode digits, oversized values and headers,
  in the body, the query and the headers of every operation. Fails on a 5xx or an answer
  outside the error shape.

A ``FuzzStack`` makes handlers run instead of answering 404 to random ids: the ids of real
records go into path parameters (three examples in four), real values (credentials, link
tokens) into bodies now and then, and ``sign`` adds what an operation needs to be believed
(a webhook signature).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Callable

ERROR_KEYS = {"code", "status", "message", "errors"}
BEYOND_SCHEMA = "x-validated-beyond-schema"

# Hostile values (the issue's list); each goes into every body field, query parameter and header.
HUGE_TEXT = "x" * 200_000
HOSTILE_VALUES = {
    "nesting 1,000 deep": "DEEP",
    "a lone surrogate": "\ud800",
    "a NUL": "a\x00b",
    "a 5,000-digit integer": "BIGINT",
    "2**63": 2**63,
    "-2**63-1": -(2**63) - 1,
    "a superscript digit": "²",
    "Arabic-Indic digits": "١٢٣",
    "a 200,000-character string": HUGE_TEXT,
    "NaN": "NAN",
}
HOSTILE_QUERY_VALUES = {
    "a NUL": "a\x00b",
    "an encoded lone surrogate": "%ED%A0%80",
    "a 5,000-digit integer": "9" * 5000,
    "2**63": str(2**63),
    "a superscript digit": "²",
    "Arabic-Indic digits": "١٢٣",
    "a 200,000-character string": HUGE_TEXT,
    "a float": "1e400",
}
# As a server hands them to the app: bytes read as latin-1 (how WSGI passes UTF-8 header bytes).
HOSTILE_HEADERS = {
    "Unicode digits": {"X-HubSpot-Request-Timestamp": "²", "X-HubSpot-Signature-v3": "²",
                       "X-Request-ID": "١٢٣٤٥٦٧٨٩".encode().decode("latin-1"), "X-Cron-Secret": "²",
                       "X-Forwarded-For": "²²²", "Content-Length-Hint": "²"},
    "oversized": {"X-HubSpot-Request-Timestamp": "9" * 8000, "X-HubSpot-Signature-v3": "A" * 64_000,
                  "X-Request-ID": "r" * 64_000, "X-Cron-Secret": "s" * 64_000, "X-Forwarded-For": "1." * 20_000},
    "a bearer of Unicode": {"Authorization": "Bearer " + "é²".encode().decode("latin-1") * 100},
}


@dataclass
class FuzzStack:
    """Real records for the fuzzer to use, so handlers run.

    :param path_ids: path parameter name -> ids of real records the actor may reach.
    :param bodies: ``"POST /v1/auth/sign-in"`` -> partial bodies merged into generated ones (positive mode).
    :param sign: ``(method, path, body bytes) -> headers`` for operations that verify a signature.
    :param fresh_headers: ``operation label -> headers`` for operations that end the session they use.
    """
    path_ids: dict[str, list[str]] = field(default_factory=dict)
    bodies: dict[str, list[dict]] = field(default_factory=dict)
    sign: dict[str, Callable[[str, str, bytes], dict]] = field(default_factory=dict)
    fresh_headers: dict[str, Callable[[], dict]] = field(default_factory=dict)

    def add_ids(self, name: str, *ids) -> FuzzStack:
        self.path_ids.setdefault(name, []).extend(str(i) for i in ids)
        return self

    def add_body(self, label: str, *partials: dict) -> FuzzStack:
        self.bodies.setdefault(label, []).extend(partials)
        return self


def fuzz_api(app, headers: dict, mode: str = "positive", skipped=(), examples: int = 10,
             stack: FuzzStack | None = None) -> list[str]:
    """Fuzz every documented operation; one line per problem (empty means clean).

    :param mode: ``positive``, ``negative`` (schemathesis, every check) or ``hostile``.
    :param skipped: path prefixes not to call.
    :param examples: generated requests per operation (positive and negative modes).
    :param stack: real ids, bodies and signers (``FuzzStack``); without one, ids are random.
    """
    stack = stack or FuzzStack()
    if mode == "hostile":
        return _hostile(app, headers, skipped, stack)
    return _generated(app, headers, mode, skipped, examples, stack)


# --- positive and negative: schemathesis -----------------------------------------------------

def _generated(app, headers, mode, skipped, examples, stack) -> list[str]:
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis.checks import CHECKS, load_all_checks

    load_all_checks()
    # NUL can never be stored (the API refuses it everywhere, see the document's description).
    config = schemathesis.Config.from_dict({"generation": {"allow-x00": False, "codec": "utf-8"}})
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app, config=config)
    generation_mode = {"positive": schemathesis.GenerationMode.POSITIVE,
                       "negative": schemathesis.GenerationMode.NEGATIVE}[mode]
    checks = [check for check in CHECKS.get_all() if check.__name__ != "positive_data_acceptance"]
    problems: list[str] = []
    raw_spec = schema.raw_schema

    def fuzz(operation):
        label = f"{operation.method.upper()} {operation.path}"
        beyond = _beyond_schema_fields(raw_spec, operation.definition.raw)
        calls = {"n": 0}

        @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=generation_mode))
        def check(case):
            n = calls["n"]
            calls["n"] += 1
            _use_stack(case, stack, label, n, positive=mode == "positive")
            sent = dict(stack.fresh_headers[label]()) if label in stack.fresh_headers else dict(headers)
            response = case.call(headers=sent)
            try:
                case.validate_response(response, checks=checks, headers=sent,
                                       transport_kwargs={"headers": sent})
            except BaseException as failure:  # schemathesis raises a group of every failed check
                for line in _failure_lines(failure):
                    problems.append(f"{label} -> {response.status_code}: {line}\n    {_reproduction(case)}")
            if mode == "positive" and response.status_code in (400, 422):
                refused = _refused_fields(response)
                if not refused or not ("*" in beyond or all(_strip_indexes(name) in beyond for name in refused)):
                    problems.append(f"{label} -> {response.status_code}: a schema-valid request was refused: "
                                    f"{response.text[:300]}\n    {_reproduction(case)}")
        return check

    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith(tuple(skipped)):
            continue
        try:
            fuzz(operation)()
        except Unsatisfiable:
            pass  # nothing of this operation can be made invalid (no parameters, no body)
    return problems


def _use_stack(case, stack: FuzzStack, label: str, n: int, *, positive: bool) -> None:
    """Put real ids into the path (three examples in four) and real values into some positive bodies."""
    meta = getattr(case, "meta", None)
    path_negated = False
    if meta is not None and not positive:
        from schemathesis.core.parameters import ParameterLocation

        path_negated = meta.is_negative_at(ParameterLocation.PATH)
    if case.path_parameters and not path_negated and n % 4 != 3:
        for name in list(case.path_parameters):
            ids = stack.path_ids.get(name)
            if ids:
                case.path_parameters[name] = ids[(n // 4) % len(ids)]
    partials = stack.bodies.get(label)
    if positive and partials and n % 2 == 0 and isinstance(case.body, dict):
        case.body.update(partials[(n // 2) % len(partials)])


def _reproduction(case) -> str:
    """The request as a curl command line (credentials filtered), cut to a readable length."""
    try:
        return case.as_curl_command()[:600]
    except Exception:  # a reproduction is a courtesy; never let it hide the problem
        return f"{case.method} {case.formatted_path}"


def _failure_lines(failure: BaseException) -> list[str]:
    inner = getattr(failure, "exceptions", None)
    if inner:
        return [line for exc in inner for line in _failure_lines(exc)]
    title = getattr(failure, "title", None) or type(failure).__name__
    message = str(getattr(failure, "message", "") or failure).strip().splitlines()
    return [f"{title}: {' / '.join(message)[:400]}"]


def _refused_fields(response) -> list[str]:
    try:
        errors = response.json().get("errors") or {}
    except (ValueError, AttributeError):
        return []
    return list(errors) if isinstance(errors, dict) else []


def _strip_indexes(path: str) -> str:
    return ".".join(part for part in path.split(".") if not part.isdigit())


def _beyond_schema_fields(spec: dict, operation: dict) -> set[str]:
    """Dotted field paths (list indexes left out) whose schema carries ``x-validated-beyond-schema``."""
    found: set[str] = set()
    for parameter in operation.get("parameters", []):
        parameter = _resolve(spec, parameter)
        schema = _resolve(spec, parameter.get("schema", {}))
        if BEYOND_SCHEMA in schema or BEYOND_SCHEMA in _resolve(spec, schema.get("items", {})):
            found.add(parameter.get("name", ""))
    body = _resolve(spec, operation.get("requestBody", {}))
    for media in body.get("content", {}).values():
        stack = [("", _resolve(spec, media.get("schema", {})), 0)]
        while stack:
            path, schema, depth = stack.pop()
            if depth > 12:
                continue
            if BEYOND_SCHEMA in schema:
                found.add(path or "*")  # on the whole body: any refusal of it is beyond the schema
            for name, inner in (schema.get("properties") or {}).items():
                stack.append((f"{path}.{name}" if path else name, _resolve(spec, inner), depth + 1))
            if "items" in schema:
                stack.append((path, _resolve(spec, schema["items"]), depth + 1))
            for key in ("allOf", "anyOf", "oneOf"):
                for inner in schema.get(key, []):
                    stack.append((path, _resolve(spec, inner), depth + 1))
    return found


def _resolve(spec: dict, node: dict) -> dict:
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 20:
        target = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        node, seen = target, seen + 1
    return node if isinstance(node, dict) else {}


# --- hostile: hand-made shapes -------------------------------------------------------------------

def _hostile(app, headers, skipped, stack: FuzzStack) -> list[str]:
    client = app.test_client()
    spec = client.get("/openapi.json").get_json()
    problems: list[str] = []
    for path, operations in spec["paths"].items():
        if path.startswith(tuple(skipped)):
            continue
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            label = f"{method.upper()} {path}"
            url = _fill_path(path, stack)
            sent = dict(stack.fresh_headers[label]()) if label in stack.fresh_headers else dict(headers)
            fields = _body_fields(spec, operation)
            for what, body in _hostile_bodies(fields):
                extra = stack.sign[label](method.upper(), url, body) if label in stack.sign else {}
                response = client.open(url, method=method.upper(), data=body,
                                       headers={**sent, **extra, "Content-Type": "application/json"})
                _judge(problems, f"{label} body with {what}", response)
            for what, query in _hostile_queries(spec, operation):
                response = client.open(f"{url}?{query}", method=method.upper(), headers=sent)
                _judge(problems, f"{label} query with {what}", response)
            for what, hostile_headers in HOSTILE_HEADERS.items():
                body = b"[]" if label in stack.sign else b""
                response = client.open(url, method=method.upper(), data=body,
                                       headers={**sent, **hostile_headers, "Content-Type": "application/json"})
                _judge(problems, f"{label} {what} headers", response)
    return problems


def _judge(problems: list[str], label: str, response) -> None:
    if response.status_code >= 500:
        problems.append(f"{label} -> {response.status_code}: {response.get_data(as_text=True)[:200]}")
    elif response.status_code >= 400:
        body = response.get_json(silent=True)
        if not isinstance(body, dict) or set(body) != ERROR_KEYS:
            problems.append(f"{label} -> {response.status_code} not in the error shape: "
                            f"{response.get_data(as_text=True)[:200]}")


def _fill_path(path: str, stack: FuzzStack) -> str:
    def real_id(match):
        ids = stack.path_ids.get(match.group(1))
        return ids[0] if ids else "0123456789abcdef01234567"
    return re.sub(r"{([^}]+)}", real_id, path)


def _body_fields(spec: dict, operation: dict) -> list[str]:
    body = _resolve(spec, operation.get("requestBody", {}))
    schema = _resolve(spec, body.get("content", {}).get("application/json", {}).get("schema", {}))
    return list((schema.get("properties") or {}).keys())


def _hostile_bodies(fields: list[str]):
    """(description, raw JSON bytes): each hostile value as the whole body and in every field."""
    deep = "[" * 1000 + "1" + "]" * 1000
    yield "1,000-deep nesting as the body", deep.encode()
    yield "1,000-deep objects as the body", ('{"a":' * 1000 + "1" + "}" * 1000).encode()
    yield "a lone surrogate in a field name", b'{"\\ud800": 1}'
    yield "NaN as the body", b"NaN"
    yield "invalid UTF-8", b'{"a": "\xff\xfe"}'
    yield "a truncated document", b'{"a": [1, 2'
    for name in fields or ["email"]:
        for what, value in HOSTILE_VALUES.items():
            if value == "DEEP":
                text = '{"%s": %s}' % (name, deep)
            elif value == "BIGINT":
                text = '{"%s": %s}' % (name, "9" * 5000)
            elif value == "NAN":
                text = '{"%s": NaN}' % name
            else:
                text = json.dumps({name: value})
            yield f"{what} in '{name}'", text.encode()


def _hostile_queries(spec: dict, operation: dict):
    from urllib.parse import quote

    names = [_resolve(spec, p).get("name") for p in operation.get("parameters", [])
             if _resolve(spec, p).get("in") == "query"] or ["q"]
    for name in names:
        for what, value in HOSTILE_QUERY_VALUES.items():
            encoded = value if value.startswith("%") else quote(value, safe="")
            yield f"{what} in '{name}'", f"{quote(name)}={encoded}"


# --- real records for the core's operations ------------------------------------------------------

def core_fuzz_stack(app, actors, actor) -> FuzzStack:
    """Records of the core for ``actor`` to reach: its partner, a colleague, leads, an import, a mail, links.

    Platform staff get a partner of their own choosing (a fresh one) in every partner slot.
    Plugins' tests add their own records (``add_ids``, ``add_body``, ``sign``).
    """
    import datetime as dt

    from .auth import issue_tokens
    from .core.leads.services import create_lead
    from .core.models import LeadImport
    from .core.tokens import issue_token
    from .core.users.services import INVITE_PURPOSE
    from .mail import OutboxMessage
    from .testing import TEST_PASSWORD, bearer

    partner = actor.partner or actors.partner(icp={"industries": ["saas"], "countries": ["US"]})
    colleague = actors.member(partner)
    stack = FuzzStack()
    with app.app_context():
        leads = [create_lead(str(partner.id), {"first_name": f"Fuzz {n}", "email": f"fuzz{n}@lead.example",
                                               "company": "Fuzz Inc", "industry": "saas", "country": "US"},
                             "system") for n in range(4)]
        record = LeadImport(partner=str(partner.id), created_by="system", status="completed", total_rows=1,
                            processed_rows=1, imported=1).save()
        message = OutboxMessage(to="someone@example.test", subject="Hello", text="Hello", html="<p>Hello</p>",
                                tags=[], sent_at=dt.datetime.now(dt.timezone.utc)).save()
        links = [issue_token(colleague.user.id, INVITE_PURPOSE, dt.timedelta(hours=1), replace=False)
                 for _ in range(3)]
    stack.add_ids("partner_id", partner.id)
    stack.add_ids("user_id", colleague.id)
    stack.add_ids("lead_id", *(lead.id for lead in leads))
    stack.add_ids("import_id", record.id)
    stack.add_ids("message_id", message.id)
    stack.add_body("POST /v1/auth/sign-in", {"email": actor.user.email, "password": TEST_PASSWORD},
                   {"email": colleague.user.email, "password": TEST_PASSWORD})
    stack.add_body("POST /v1/auth/reset-password", *({"token": link} for link in links))
    # Sign-out ends the session it is called with: give it a session of its own each time.
    stack.fresh_headers["POST /v1/auth/sign-out"] = lambda: bearer(actors.token_for(actor.user)["accessToken"])

    def refresh_headers():
        with app.app_context():
            return bearer(issue_tokens(actor.user)["refreshToken"])
    stack.fresh_headers["POST /v1/auth/refresh"] = refresh_headers
    return stack
