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
import time
from dataclasses import dataclass, field
from typing import Callable

from .core.fields import BEYOND_SCHEMA

ERROR_KEYS = {"code", "status", "message", "errors"}

# Hostile values (the list). Shapes the JSON reader refuses whatever the field go into the
# first field of each body. Values a field may take as valid text (Unicode digits) or must bound (a
# huge string) go into each field alone, so a valid one reaches the service; the others go into every
# field of one body at once (each field still validates its own).
HUGE_TEXT = "x" * 200_000
READER_VALUES = {
    "nesting 1,000 deep": "DEEP",
    "a lone surrogate": "\ud800",
    "a NUL": "a\x00b",
    "a 5,000-digit integer": "BIGINT",
    "NaN": "NAN",
}
EACH_FIELD_VALUES = {
    "Arabic-Indic digits": "١٢٣",
    "a 200,000-character string": HUGE_TEXT,
}
EVERY_FIELD_VALUES = {
    "2**63": 2**63,
    "-2**63-1": -(2**63) - 1,
    "a superscript digit": "²",
    "a list of 10,000 strings": ["x"] * 10_000,
}
# Query strings: a huge value in each parameter alone (it may reach the database); numbers in every
# form in every integer or boolean parameter at once; what the decoding meets whatever the parameter
# (NUL, an encoded lone surrogate, odd digits) in one request each.
EACH_QUERY_VALUES = {"a 200,000-character string": HUGE_TEXT}
EVERY_NUMBER_QUERY_VALUES = {
    "a 5,000-digit integer": "9" * 5000,
    "2**63": str(2**63),
    "a superscript digit": "²",
    "Arabic-Indic digits": "١٢٣",
    "a float": "1e400",
}
EVERY_QUERY_VALUES = {
    "a NUL": "a\x00b",
    "an encoded lone surrogate": "%ED%A0%80",
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
    :param examples: ``operation label -> examples`` for operations too costly for the run's number
        (sign-in hashes a password with argon2 for every attempt, known address or not).
    """
    path_ids: dict[str, list[str]] = field(default_factory=dict)
    bodies: dict[str, list[dict]] = field(default_factory=dict)
    sign: dict[str, Callable[[str, str, bytes], dict]] = field(default_factory=dict)
    fresh_headers: dict[str, Callable[[], dict]] = field(default_factory=dict)
    examples: dict[str, int] = field(default_factory=dict)

    def add_ids(self, name: str, *ids) -> FuzzStack:
        self.path_ids.setdefault(name, []).extend(str(i) for i in ids)
        return self

    def add_body(self, label: str, *partials: dict) -> FuzzStack:
        self.bodies.setdefault(label, []).extend(partials)
        return self


@dataclass
class FuzzReport:
    """What a run answered: per operation label, the status codes seen and the seconds spent."""
    statuses: dict[str, list[int]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, label: str, status: int, seconds: float) -> None:
        self.statuses.setdefault(label, []).append(status)
        self.seconds[label] = self.seconds.get(label, 0.0) + seconds

    def reached(self, label: str) -> bool:
        """Whether the handler decided something: a success, a redirect or a 409 about the record's state."""
        return any(200 <= status < 400 or status == 409 for status in self.statuses.get(label, []))


def fuzz_api(app, headers: dict, mode: str = "positive", skipped=(), examples: int = 10,
             stack: FuzzStack | None = None, report: FuzzReport | None = None) -> list[str]:
    """Fuzz every documented operation; one line per problem (empty means clean).

    :param mode: ``positive``, ``negative`` (schemathesis, every check) or ``hostile``.
    :param skipped: path prefixes not to call.
    :param examples: generated requests per operation (positive and negative modes).
    :param stack: real ids, bodies and signers (``FuzzStack``); without one, ids are random.
    :param report: a ``FuzzReport`` to fill with the statuses and time of every operation.
    """
    stack = stack or FuzzStack()
    report = report if report is not None else FuzzReport()
    if mode == "hostile":
        return _hostile(app, headers, skipped, stack, report)
    return _generated(app, headers, mode, skipped, examples, stack, report)


# --- positive and negative: schemathesis -----------------------------------------------------

def _generated(app, headers, mode, skipped, examples, stack, report) -> list[str]:
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

        @settings(max_examples=min(examples, stack.examples.get(label, examples)), deadline=None, database=None,
                  derandomize=True, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=generation_mode))
        def check(case):
            n = calls["n"]
            calls["n"] += 1
            _use_stack(case, stack, label, n, positive=mode == "positive")
            sent = dict(stack.fresh_headers[label]()) if label in stack.fresh_headers else dict(headers)
            # schemathesis's WSGI transport sends requests' default "Accept-Encoding: gzip, deflate"
            # but, unlike requests, never expands a gzipped answer (a kept page is sent as kept):
            # its checks read the JSON, so ask for it plain. tests/core/test_kept_pages.py covers gzip.
            sent.setdefault("Accept-Encoding", "identity")
            started = time.perf_counter()
            response = case.call(headers=sent)
            report.add(label, response.status_code, time.perf_counter() - started)
            try:
                case.validate_response(response, checks=checks, headers=sent,
                                       transport_kwargs={"headers": sent})
            except BaseException as failure:  # schemathesis raises a group of every failed check
                for line in _failure_lines(failure):
                    problems.append(f"{label} -> {response.status_code}: {line}\n    {_reproduction(case)}")
            if mode == "positive" and response.status_code in (400, 422):
                refused = _refused_fields(response)
                if not refused or not ("*" in beyond or all(_covered(name, beyond) for name in refused)):
                    problems.append(f"{label} -> {response.status_code}: a schema-valid request was refused: "
                                    f"{response.text[:300]}\n    {_reproduction(case)}")
        return check

    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in sorted(operations, key=_destructive_last):
        if operation.path.startswith(tuple(skipped)):
            continue
        try:
            fuzz(operation)()
        except Unsatisfiable:
            pass  # nothing of this operation can be made invalid (no parameters, no body)
    return problems


def _destructive_last(operation) -> tuple:
    """Deletions after everything else (the most specific path first), so real records stay for the others."""
    return (1, -len(operation.path)) if operation.method.lower() == "delete" else (0, 0)


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
    # A query parameter naming a record (``partnerId``) gets a real id too, in valid requests.
    if positive and case.query and n % 4 != 3:
        for name in list(case.query):
            ids = stack.path_ids.get(_snake(name))
            if ids and name != _snake(name):
                case.query[name] = ids[(n // 4) % len(ids)]
    partials = stack.bodies.get(label)
    if positive and partials and n % 2 == 0 and isinstance(case.body, dict):
        case.body.update(partials[(n // 2) % len(partials)])


def _reproduction(case) -> str:
    """The request as a curl command line (credentials filtered), cut to a readable length."""
    try:
        return case.as_curl_command()[:600]
    except Exception:  # a reproduction is a courtesy; never let it hide the problem
        return f"{case.method} {case.formatted_path}"


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


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


def _covered(name: str, beyond: set[str]) -> bool:
    """A refused field is beyond the schema when it, or a field holding it (a map's key), carries the mark."""
    parts = _strip_indexes(name).split(".")
    return any(".".join(parts[:n]) in beyond for n in range(1, len(parts) + 1))


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

def _hostile(app, headers, skipped, stack: FuzzStack, report) -> list[str]:
    client = app.test_client()
    spec = client.get("/openapi.json").get_json()
    problems: list[str] = []
    calls = [(path, method, operation) for path, operations in spec["paths"].items()
             for method, operation in operations.items()
             if method in ("get", "post", "put", "patch", "delete") and not path.startswith(tuple(skipped))]
    for path, method, operation in sorted(calls, key=lambda call: (call[1] == "delete", -len(call[0]))):
        _hostile_operation(client, spec, path, method.upper(), operation, headers, stack, report, problems)
    return problems


def _hostile_operation(client, spec, path, method, operation, headers, stack, report, problems) -> None:
    """Every hostile body, query and header set against one operation."""
    label = f"{method} {path}"
    url = _fill_path(path, stack)
    sent = dict(stack.fresh_headers[label]()) if label in stack.fresh_headers else dict(headers)

    def send(what, target, body=b"", extra=None):
        started = time.perf_counter()
        response = client.open(target, method=method, data=body,
                               headers={**sent, **(extra or {}), "Content-Type": "application/json"})
        _judge(problems, f"{label} {what}", response, report, label, time.perf_counter() - started)

    for what, body in _hostile_bodies(_body_fields(spec, operation)):
        send(f"body with {what}", url, body, stack.sign[label](method, url, body) if label in stack.sign else None)
    for what, query in _hostile_queries(spec, operation):
        send(f"query with {what}", f"{url}?{query}")
    for what, hostile_headers in HOSTILE_HEADERS.items():
        send(f"{what} headers", url, b"[]" if label in stack.sign else b"", hostile_headers)


def _judge(problems: list[str], label: str, response, report=None, operation: str = "", seconds: float = 0.0) -> None:
    if report is not None:
        report.add(operation, response.status_code, seconds)
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
    """The names of the JSON body's top-level fields."""
    body = _resolve(spec, operation.get("requestBody", {}))
    schema = _resolve(spec, body.get("content", {}).get("application/json", {}).get("schema", {}))
    return list((schema.get("properties") or {}).keys())


def _hostile_bodies(fields: list[str]):
    """(description, raw JSON bytes): hostile shapes as the whole body, in the first field, in every field.

    An operation that takes no JSON body gets two, which it must ignore or refuse, never choke on.
    """
    deep = "[" * 1000 + "1" + "]" * 1000
    yield "1,000-deep nesting as the body", deep.encode()
    if not fields:
        yield "a lone surrogate in a field name", b'{"\\ud800": 1}'
        return
    yield "1,000-deep objects as the body", ('{"a":' * 1000 + "1" + "}" * 1000).encode()
    yield "a lone surrogate in a field name", b'{"\\ud800": 1}'
    yield "NaN as the body", b"NaN"
    yield "invalid UTF-8", b'{"a": "\xff\xfe"}'
    yield "a truncated document", b'{"a": [1, 2'
    first = fields[0]
    for what, value in READER_VALUES.items():
        literal = {"DEEP": deep, "BIGINT": "9" * 5000, "NAN": "NaN"}.get(value) or json.dumps(value)
        yield f"{what} in '{first}'", ('{"%s": %s}' % (first, literal)).encode()
    for name in fields:
        for what, value in EACH_FIELD_VALUES.items():
            yield f"{what} in '{name}'", json.dumps({name: value}).encode()
    for what, value in EVERY_FIELD_VALUES.items():
        yield f"{what} in every field", json.dumps({name: value for name in fields}).encode()


def _takes_numbers(spec: dict, parameter: dict) -> bool:
    schema = _resolve(spec, parameter.get("schema", {}))
    schema = _resolve(spec, schema.get("items", {})) if schema.get("type") == "array" else schema
    return schema.get("type") in ("integer", "number", "boolean")


def _hostile_queries(spec: dict, operation: dict):
    """(description, query string): each parameter alone, every (integer) parameter at once, the decoding."""
    from urllib.parse import quote

    def encoded(value: str) -> str:
        return value if value.startswith("%") else quote(value, safe="")

    parameters = [_resolve(spec, p) for p in operation.get("parameters", [])]
    names = {p["name"]: _takes_numbers(spec, p) for p in parameters if p.get("in") == "query"} or {"q": False}
    for name in names:
        for what, value in EACH_QUERY_VALUES.items():
            yield f"{what} in '{name}'", f"{quote(name)}={encoded(value)}"
    numeric = [name for name, takes_numbers in names.items() if takes_numbers]
    for what, value in EVERY_NUMBER_QUERY_VALUES.items():
        if numeric:
            yield f"{what} in every number", "&".join(f"{quote(name)}={encoded(value)}" for name in numeric)
    for what, value in EVERY_QUERY_VALUES.items():
        yield f"{what} in every parameter", "&".join(f"{quote(name)}={encoded(value)}" for name in names)
