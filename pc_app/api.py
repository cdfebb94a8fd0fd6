"""The project-wide flask-smorest Api, Blueprint and Schema bases and the single error shape.

Every 4xx/5xx leaves as ``{"code", "status", "message", "errors"}`` whatever raised it:
``abort``, validation, flask-jwt-extended, unknown routes, or an unexpected exception.
"""
from __future__ import annotations

import datetime as dt
import decimal
import functools
import logging
import os
import re
import threading
import uuid
from functools import wraps
from typing import NamedTuple

import marshmallow as ma
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import get_fields, resolve_schema_instance
from apispec.ext.marshmallow.openapi import OpenAPIConverter
from flask import Flask, current_app, g, has_app_context, jsonify, request, send_from_directory
from flask_smorest import Api as _Api
from flask_smorest import Blueprint as _Blueprint
from flask_smorest import abort  # noqa: F401  (re-exported for plugins)
from flask_smorest.spec.plugins import FlaskPlugin
from webargs import core as webargs_core
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from .bounded_memory import BoundedMemory
from .errors import DEFAULT_MESSAGES as _DEFAULT_MESSAGES
from .errors import error_body  # noqa: F401  (re-exported: the error shape's builder)
from .stored_row import StoredRow

log = logging.getLogger("pc_app.api")

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")

class Schema(ma.Schema):
    """Base schema: unknown fields are an error, never silently dropped."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


class _DumpPlan(NamedTuple):
    fields: list     # (key, name, field, kind, attribute read) per dumped field
    nullable: list   # keys sent as null when the object does not hold them
    required: list   # keys every answer holds (checked under test)


class ResponseSchema(Schema):
    """A schema the API answers with: every field is in every answer (``null`` when nullable).

    The OpenAPI document marks all its fields ``required``, so a typed client gets
    non-optional attributes; a field that some answers leave out is named in ``OPTIONAL``.
    Only the document changes: dumping never validates.
    """

    OPTIONAL: tuple[str, ...] = ()

    # How each field is dumped (see _serialize), and which keys are nullable and required, worked
    # out once per schema instance (flask-smorest keeps one per route).
    _GENERIC, _TEXT, _WHOLE_NUMBER = 0, 1, 2
    _dump_plan: _DumpPlan | None = None

    def _plan(self) -> _DumpPlan:
        fields, nullable, required = [], [], []
        for name, field in self.dump_fields.items():
            key = field.data_key if field.data_key is not None else name
            kind = self._GENERIC
            if field.dump_default is ma.missing and field._CHECK_ATTRIBUTE:
                if type(field) is ma.fields.String:
                    kind = self._TEXT
                elif type(field) is ma.fields.Integer and not field.as_string:
                    kind = self._WHOLE_NUMBER
            fields.append((key, name, field, kind, name if field.attribute is None else field.attribute))
            if name not in self.OPTIONAL:
                required.append(key)
                if field.allow_none:
                    nullable.append(key)
        self._dump_plan = _DumpPlan(fields, nullable, required)
        return self._dump_plan

    def _serialize(self, obj, *, many=False):
        # Most fields of an answer are plain strings and integers (a page of 50 leads holds 1,250
        # fields). Those are read with the schema's own accessor and converted exactly as
        # marshmallow's String and Integer do, without the three calls per field of
        # Field.serialize; every other field serialises itself. Same output (the suite's answers
        # and tests/core/test_response_schema.py); the lead list went from 8.9 to 6.3 ms in process.
        if many and obj is not None:
            return [self._serialize(item) for item in obj]
        result = {}
        get = self.get_attribute
        for key, name, field, kind, source in (self._dump_plan or self._plan()).fields:
            if kind == self._GENERIC:
                value = field.serialize(name, obj, accessor=get)
            else:
                value = get(obj, source, ma.missing)
                if value is not None and value is not ma.missing:
                    if kind == self._TEXT:
                        value = value if type(value) is str else str(
                            value.decode("utf-8") if isinstance(value, bytes) else value)
                    else:
                        value = int(value)
            if value is not ma.missing:
                result[key] = value
        return result

    def get_attribute(self, obj, attr, default):
        # A page's StoredRow holds its fields as plain attributes: skip marshmallow's probing
        # for a mapping (a failed __getitem__ lookup per field, a third of a page's dump).
        if type(obj) is StoredRow and "." not in attr:
            return getattr(obj, attr, default)
        if type(obj) is dict and "." not in attr:
            return obj.get(attr, default)  # a browse card, a page: its keys, never a dict method's name
        return super().get_attribute(obj, attr, default)

    @ma.post_dump(pass_collection=True)
    def _every_required_field_present(self, data, many, **kwargs):
        # Once per dump, not once per item, when the schema dumps a whole list.
        items = data if many else [data]
        plan = self._dump_plan or self._plan()
        # A nullable field the object does not hold (a raw document stores no None) is sent as null,
        # as the document promises.
        for item in items:
            for key in plan.nullable:
                if key not in item:
                    item[key] = None
        # Under test, an answer that leaves out a field the document calls required fails loudly,
        # so every test that reaches a route checks the contract, not only the fuzzers.
        if has_app_context() and current_app.config.get("TESTING"):
            for item in items:
                missing = [key for key in plan.required if key not in item]
                if missing:
                    raise AssertionError(f"{type(self).__name__} left out {missing}: always set them or name them "
                                         "in OPTIONAL")
        return data


def _owning_plugin_name(module: str) -> str | None:
    """NAME of the plugin a module belongs to: the nearest module or package on its path declaring one."""
    import sys

    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        name = getattr(sys.modules.get(".".join(parts[:end])), "NAME", None)
        if isinstance(name, str) and name:
            return name
    return None


def schema_name_resolver(schema) -> str:
    """Name OpenAPI components after the plugin that owns the schema, so plugins never collide.

    ``plugins.marketplace.schemas.ListingSchema`` becomes ``MarketplaceListing``; a plugin from
    another distribution is found by its ``NAME`` the same way; the core's schemas keep their
    plain names (``LeadSchema`` -> ``Lead``).
    """
    cls = schema if isinstance(schema, type) else type(schema)
    module = cls.__module__
    owner = None if module.startswith("pc_app.") or module == "pc_app" else _owning_plugin_name(module)
    base = cls.__name__[:-6] if cls.__name__.endswith("Schema") and cls.__name__ != "Schema" else cls.__name__
    prefix = "".join(part.capitalize() for part in owner.replace("-", "_").split("_")) if owner else ""
    name = f"{prefix}{base}" if prefix and not base.startswith(prefix) else base
    if not isinstance(schema, type) and (schema.partial or schema.only or schema.exclude):
        name += "Partial"
    return name


class ArgumentsParser(FlaskParser):
    """webargs' Flask parser reading bodies with the one guarded JSON reader and query strings as typed values.

    The body comes from ``pc_app.request_body.read_json`` (size, depth, integer and string
    limits; parsed once per request). A query string is text: each value is turned into its
    field's JSON type first (``Integer.from_text``, ``Boolean.from_text``), so the same strict
    fields serve bodies and queries, and a NUL in any value is a 422 naming the parameter.

    A query string's arguments depend on nothing but its text and its schema, and a list is
    asked with the same few query strings again and again (polling, paging back and forth, every
    member of a partner): the arguments of a short one that parsed are remembered per schema
    (``ParsedQueries``) and handed out as a copy. A refused one is parsed, and refused, every time.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parsed_queries = ParsedQueries()

    def parse(self, argmap, req=None, *, location=None, validate=None, **kwargs):
        if location != "query" or validate is not None or not isinstance(argmap, ma.Schema):
            return super().parse(argmap, req, location=location, validate=validate, **kwargs)
        req = req or self.get_default_request()
        # The schema itself, not its id: held here, it cannot be collected and its id reused by another.
        key = (argmap, kwargs.get("unknown"), req.query_string)
        found = self.parsed_queries.get(key)
        if found is not None:
            return found
        parsed = super().parse(argmap, req, location=location, **kwargs)
        if len(req.query_string) <= ParsedQueries.LONGEST:
            self.parsed_queries.keep(key, parsed)
        return parsed

    def _raw_load_json(self, req):
        from .errors import UnsupportedMediaType
        from .request_body import has_body, read_json

        if not self.is_json_request(req):
            if has_body(req):
                raise UnsupportedMediaType("Send the body as JSON with 'Content-Type: application/json'.")
            return webargs_core.missing
        if not has_body(req):
            return webargs_core.missing
        return read_json(req)  # a JSON null stays None, for the schema to refuse

    @staticmethod
    def is_json_request(req) -> bool:
        return webargs_core.is_json(req.mimetype)

    def load_querystring(self, req, schema):
        from .core.fields import from_text
        from .errors import Invalid

        proxy = self._makeproxy(req.args, schema)
        fields = {field.data_key or name: field for name, field in schema.fields.items()}
        data = {}
        for key in req.args.keys():
            value = proxy[key]
            values = value if isinstance(value, list) else [value]
            if any("\x00" in text for text in values) or "\x00" in key:
                raise Invalid(key.replace("\x00", "\\u0000"), "Must not contain the NUL character.")
            data[key] = from_text(fields.get(key), value)
        return data


class ParsedQueries(BoundedMemory):
    """Arguments parsed from query strings, per schema: only plain ones (scalars and lists of them)."""

    SIZE = 1024  # per process: the parser serves every app
    LONGEST = 512  # bytes of query string: a longer one is parsed every time, so the memory stays small

    def get(self, key):
        """A copy of the arguments kept under ``key`` (a route may change the dict or its lists), or None."""
        kept = self.entries.get(key)
        return None if kept is None else _copied(kept)

    def keep(self, key, parsed) -> None:
        if isinstance(parsed, dict) and all(_plain(value) for value in parsed.values()):
            self.put(key, _copied(parsed))


# Values a route cannot change in place (a list is copied for each request): what query fields load.
_IMMUTABLE = (str, int, float, bool, type(None), dt.date, dt.datetime, decimal.Decimal)


def _plain(value) -> bool:
    return isinstance(value, _IMMUTABLE) or (isinstance(value, list) and all(isinstance(v, _IMMUTABLE) for v in value))


def _copied(arguments: dict) -> dict:
    """Plain arguments that share nothing a route could change with ``arguments``: a new dict, new lists."""
    return {name: list(value) if isinstance(value, list) else value for name, value in arguments.items()}


# How the API documents who may call an operation; ``login_required`` and friends mark their views.
BEARER = [{"bearerAuth": []}]
SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                   "description": "The access token from sign-in, refresh or verification"},
    "refreshToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                     "description": "The refresh token (only POST /v1/auth/refresh takes it)"},
    "cronSecret": {"type": "apiKey", "in": "header", "name": "X-Cron-Secret",
                   "description": "CRON_SECRET, for external schedulers"},
    "metricsToken": {"type": "http", "scheme": "bearer", "description": "METRICS_TOKEN, for Prometheus"},
}


def requires_security(requirement: list[dict]):
    """Mark a view with the security it enforces, for the OpenAPI document (``security``)."""
    def mark(view):
        view._pc_security = requirement
        return view
    return mark


class Operation(NamedTuple):
    """What an operation's documentation says about the requests it takes and the successes it answers."""
    query_schema: bool        # a query schema reads its parameters (and decides about unknown ones)
    query_names: frozenset    # query parameters documented one by one, outside a schema
    successes: frozenset      # the 2xx and 3xx statuses documented
    body: bool                # a request body is documented (a schema's, or a manual ``requestBody``)


class Blueprint(_Blueprint):
    """A flask-smorest Blueprint with the guarded argument parser and honest documentation.

    - Query arguments follow each schema's ``unknown`` setting: a misspelled filter
      (``?industy=saas``) is a 422 naming it, not unfiltered data; an operation without a query
      schema refuses every parameter it does not document the same way (``install_operation_checks``).
    - A required JSON body that is missing is a 422 (webargs would load ``{}``); a body in
      another format is a 415; every JSON operation documents 400, 413, 415 and 422.
    - Each operation declares its ``security``: what its view was marked with by
      ``login_required`` (and the other access decorators) or ``requires_security``, else
      ``[]``: public routes never inherit a bearer requirement they do not enforce, and
      authenticated ones document their 401.
    """

    ARGUMENTS_PARSER = ArgumentsParser(unknown=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # (endpoint, METHOD) -> Operation, for the request hooks (``install_operation_checks``).
        self.operations: dict[tuple[str, str], Operation] = {}

    def arguments(self, schema, *, location="json", required=True, **kwargs):
        # One instance per decorated view: given a class, webargs would build a schema for every request.
        schema = resolve_schema_instance(schema)
        decorate = super().arguments(schema, location=location, required=required, **kwargs)
        if location != "json":
            return decorate

        def decorator(func):
            parsed = decorate(func)

            @wraps(parsed)
            def require_body(*args, **kw):
                from .errors import Invalid
                from .request_body import has_body

                if required and not has_body():
                    raise Invalid(message="This operation needs a JSON body.",
                                  errors={"_schema": ["A JSON body is required."]})
                return parsed(*args, **kw)

            return self.errors(400, 413, 415)(require_body)
        return decorator

    def errors(self, *codes: int):
        """Document the errors an operation can answer, each by its shared response component.

        ``@blp.errors(403, 404, 409)`` instead of a stack of ``alt_response`` decorators; the
        components (``NotFound``, ``Conflict``…) are described once, with the error schema.
        """
        from .errors import SHARED_RESPONSES

        def decorate(func):
            documented = getattr(func, "_apidoc", {}).get("response", {}).get("responses", {})
            described = func
            for code in codes:
                if code not in documented:
                    described = self.alt_response(code, response=SHARED_RESPONSES[code][0])(described)
            # Only their description is kept: each ``alt_response`` also wraps the view in a call that
            # does nothing but call it, which every request went through once per documented error.
            if described is not func:
                func._apidoc = described._apidoc
            return func
        return decorate

    def _store_endpoint_docs(self, endpoint, obj, parameters, tags, **options):
        super()._store_endpoint_docs(endpoint, obj, parameters, tags, **options)
        from .errors import SHARED_RESPONSES

        for method, doc in self._docs[endpoint].items():
            if method == "parameters":
                continue
            view = getattr(obj, method, None) if isinstance(obj, type) else obj
            manual = doc.setdefault("manual_doc", {})
            manual.setdefault("operationId", derived_operation_id(endpoint, obj, method))
            docstring = doc.get("docstring") or {}
            if docstring.get("summary"):
                # The description is the whole docstring, so a client's generated docs never lose its first sentence.
                doc["docstring"] = {**docstring, "description": "\n\n".join(
                    part for part in (docstring["summary"], docstring.get("description")) if part)}
            responses = doc.setdefault("response", {}).setdefault("responses", {})
            # ``arguments`` names its 422 after flask-smorest's component (``UNPROCESSABLE_ENTITY``): ours instead,
            # so the document holds one component per status.
            refusals = doc.get("arguments", {}).get("responses", {})
            for code in refusals:
                if int(code) in SHARED_RESPONSES:
                    refusals[code] = SHARED_RESPONSES[int(code)][0]
            security = manual.setdefault("security", getattr(view, "_pc_security", []))
            if security:
                responses.setdefault(401, [SHARED_RESPONSES[401][0]])
            if not getattr(view, "_pc_needs_no_service", False):
                # Any operation that reads MongoDB or Redis answers 503 while one of them is unreachable.
                responses.setdefault(503, [SHARED_RESPONSES[503][0]])
            self.operations[(endpoint, method.upper())] = _operation(doc, parameters)


def _operation(doc: dict, route_parameters) -> Operation:
    """An operation's ``Operation`` from its flask-smorest doc info (decorators, ``@blp.doc``, the route's parameters)."""
    manual = doc.get("manual_doc", {})
    parameters = [*(route_parameters or []), *manual.get("parameters", [])]
    codes = [*doc.get("response", {}).get("responses", {}), *manual.get("responses", {})]
    return Operation(
        query_schema=any(p.get("in") == "query" for p in doc.get("arguments", {}).get("parameters", [])),
        query_names=frozenset(p["name"] for p in parameters if isinstance(p, dict) and p.get("in") == "query"),
        successes=frozenset(int(code) for code in codes if 200 <= int(code) < 400),
        body=any(p.get("in") in ("json", "form", "files") for p in doc.get("arguments", {}).get("parameters", []))
        or "requestBody" in manual)


# The verb of a MethodView's handler, by HTTP method; ``get`` on a collection lists.
_VERBS = {"get": "get", "post": "create", "put": "replace", "patch": "update", "delete": "delete"}


def derived_operation_id(endpoint: str, obj, method: str) -> str:
    """A stable operationId from the view's own name, never from its position among the routes.

    A function view is named for what it does (``sign_in`` -> ``signIn``); a MethodView for its
    resource: ``LeadCollection`` gives ``listLeads``/``createLead``, ``LeadItem`` gives
    ``getLead``/``updateLead``/``deleteLead``. A name that reads badly this way is overridden
    on its route with ``@blp.doc(operationId=...)``.
    """
    if not isinstance(obj, type):
        head, *rest = endpoint.split("_")
        return head + "".join(word.capitalize() for word in rest)
    name = obj.__name__
    for suffix in ("Collection", "List", "Item"):
        if name.endswith(suffix) and name != suffix:
            resource = name[:-len(suffix)]
            if method == "get" and suffix != "Item":
                return "list" + _plural(resource)
            return _VERBS[method] + resource
    return _VERBS[method] + name


def _plural(noun: str) -> str:
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + ("es" if noun.endswith(("s", "x", "ch", "sh")) else "s")


def needs_no_service(view):
    """Mark a view that answers without MongoDB or Redis (liveness): it documents no 503."""
    view._pc_needs_no_service = True
    return view


class MessageSchema(ResponseSchema):
    """An answer that is only a sentence (``202 Accepted`` of public routes that never tell more)."""
    message = ma.fields.String(required=True)


class ErrorSchema(ma.Schema):
    """The one error shape (documentation only: errors are built by ``error_body``)."""
    code = ma.fields.Integer(required=True, metadata={"description": "The HTTP status"})
    status = ma.fields.String(required=True, metadata={"description": "The HTTP reason phrase"})
    message = ma.fields.String(required=True, metadata={"description": "A sentence for people"})
    errors = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()), required=True,
                            metadata={"description": "Field or rule name -> messages; empty when none applies"})


def _flatten_errors(errors) -> dict:
    """webargs nests errors under their location ("json", "query"); the API names fields directly."""
    if not isinstance(errors, dict):
        return {"_schema": errors if isinstance(errors, list) else [str(errors)]}
    locations = {"json", "query", "form", "headers", "files", "view_args", "path", "cookies", "querystring"}
    if errors and set(errors) <= locations:
        flat: dict = {}
        for loc_errors in errors.values():
            flat.update(_flatten_errors(loc_errors) if isinstance(loc_errors, dict) else {"_schema": loc_errors})
        return flat
    out: dict = {}

    def walk(prefix: str, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        else:
            out[prefix or "_schema"] = value if isinstance(value, list) else [str(value)]

    walk("", errors)
    return out


# An answer names at most this many fields: a list of 10,000 bad items is not worth 10,000 lines back.
MAX_NAMED_ERRORS = 50


def _at_most_named(errors: dict) -> dict:
    if len(errors) <= MAX_NAMED_ERRORS:
        return errors
    kept = dict(list(errors.items())[:MAX_NAMED_ERRORS])
    kept.setdefault("_schema", []).append(f"And {len(errors) - MAX_NAMED_ERRORS} more invalid fields.")
    return kept


class Api(_Api):
    """The app's Api: one error shape, local Swagger UI assets, collision-free schema names.

    A blueprint's routes are registered at once, its document when the document is first read
    (``/openapi.json``, the Swagger UI, ``api.spec``): writing the paths is most of the cost of
    building an app, and only one request in many ever needs them.
    """

    ERROR_SCHEMA = ErrorSchema

    @property
    def spec(self):
        """The OpenAPI document, with every blueprint registered so far documented in it."""
        if self._undocumented:
            with self._documenting:
                while self._undocumented:
                    blp, name, parameters = self._undocumented.pop(0)
                    blp.register_views_in_doc(self, self._app, self._spec, name=name, parameters=parameters)
                    self._spec.tag({"name": name, "description": blp.description})
        return self._spec

    @spec.setter
    def spec(self, value):
        self._spec = value

    def register_blueprint(self, blp, *, parameters=None, **options):
        """flask-smorest's registration, with the blueprint's documentation left for ``spec`` to write."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))

    def _register_responses(self):
        """flask-smorest's per-status components, plus ours (``NotFound``, ``Conflict``…) with our wording."""
        from flask_smorest.utils import prepare_response

        from .errors import SHARED_RESPONSES

        super()._register_responses()
        for name, description in SHARED_RESPONSES.values():
            response = {"description": description, "schema": self.ERROR_SCHEMA}
            prepare_response(response, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
            self.spec.components.response(name, response, lazy=True)

    def _register_pagination_header(self):
        """Nothing: lists answer their page in the body (``page_schema``), never in flask-smorest's ``X-Pagination``
        header, whose schema (``PaginationMetadata``) would otherwise stand in the document for nothing."""

    def __init__(self, app=None, **kwargs):
        self._undocumented: list[tuple] = []
        self._documenting = threading.Lock()
        kwargs.setdefault("spec_kwargs", {})
        kwargs["spec_kwargs"]["marshmallow_plugin"] = ContractMarshmallowPlugin(schema_name_resolver=schema_name_resolver)
        kwargs["spec_kwargs"]["flask_plugin"] = DescribedPathsFlaskPlugin()
        super().__init__(app, **kwargs)
        if app is not None:
            self.ma_plugin.converter.add_attribute_function(nullable_reference)

    def handle_http_exception(self, error: HTTPException):
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages")
        message = data.get("message")
        if errors is not None:
            errors = _at_most_named(_flatten_errors(errors))
            if message is None and error.code == 422:
                names = ", ".join(sorted(k for k in errors if k != "_schema")) or "body"
                message = f"Invalid fields: {names}."
        if error.code == 429:
            message = message or _DEFAULT_MESSAGES[429]
        if message is None and error.code not in (500,) and error.description and \
                error.description != type(error).description:
            message = error.description
        body = error_body(error.code, message, errors, error.name)
        headers = dict(data.get("headers") or {})
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            headers.setdefault("Allow", ", ".join(error.valid_methods))
        return body, error.code, headers


class ContractConverter(OpenAPIConverter):
    """apispec's converter, with every field of a ``ResponseSchema`` (except its ``OPTIONAL``) ``required``."""

    def schema2jsonschema(self, schema):
        jsonschema = super().schema2jsonschema(schema)
        instance = resolve_schema_instance(schema)
        if isinstance(instance, ResponseSchema) and not instance.partial:
            jsonschema["required"] = sorted(
                field.data_key or name for name, field in get_fields(schema).items()
                if name not in instance.OPTIONAL and not field.load_only)
            for prop in jsonschema["properties"].values():
                if prop.get("format") == "date-time":
                    prop.setdefault("pattern", DATETIME_PATTERN)
        return jsonschema


class ContractMarshmallowPlugin(MarshmallowPlugin):
    Converter = ContractConverter


class DescribedPathsFlaskPlugin(FlaskPlugin):
    """flask-smorest's Flask plugin, describing each path parameter: ``lead_id`` is "The lead's id"."""

    def rule_to_params(self, rule):
        params = super().rule_to_params(rule)
        for param in params:
            name = param["name"]
            if name.endswith("_id") and param.get("schema", {}).get("pattern"):
                param.setdefault("description", f"The {name[:-3].replace('_', ' ')}'s id (24 hex digits)")
            else:
                param.setdefault("description", PATH_PARAMETERS.get(name, name.replace("_", " ").capitalize()))
        return params


# Path parameters that are not ids, described once.
PATH_PARAMETERS = {
    "job_id": "The periodic job's name, as `pc-app k8s-cronjobs` lists it",
}


def nullable_reference(self, field, ret, **kwargs) -> dict:
    """A nullable nested schema as ``{allOf: [{$ref}], nullable: true}``, the OpenAPI 3.0 idiom.

    apispec writes ``anyOf: [{type: object, nullable: true}, {$ref}]``, whose first branch takes any
    object at all (the document would accept what the API never answers) and which generators turn
    into ``dict | Partner``; the idiom is exactly "the schema, or null": ``Partner | None``.
    """
    branches = ret.get("anyOf")
    if not branches:
        return {}
    references = [branch for branch in branches if branch != {"type": "object", "nullable": True}]
    if len(references) == len(branches):
        return {}
    del ret["anyOf"]
    return {"allOf": references, "nullable": True}


def install_error_handling(app: Flask) -> None:
    """Request ids on every response, and a generic JSON 500 that logs the id."""

    @app.before_request
    def _assign_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        # ASCII only: the id is echoed in a header and logged ("١٢٣" passes isprintable()).
        g.request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex

    @app.after_request
    def _echo_request_id(response):
        response.headers["X-Request-ID"] = getattr(g, "request_id", "")
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc):
        if isinstance(exc, HTTPException):
            return app.extensions["pc_api"].handle_http_exception(exc)
        request_id = getattr(g, "request_id", "-")
        service = _unavailable_service(exc)
        if service is not None:
            log.error("%s unreachable request_id=%s path=%s: %s", service, request_id, request.path,
                      type(exc).__name__)
            body = error_body(503, f"{service} is unreachable; try again shortly. Request id: {request_id}.",
                              status="Service Unavailable")
            return jsonify(body), 503, {"Retry-After": "5"}
        log.exception("unhandled error request_id=%s path=%s", request_id, request.path)
        body = error_body(500, _DEFAULT_MESSAGES[500] + f" Request id: {request_id}.")
        return jsonify(body), 500


@functools.lru_cache(maxsize=None)
def _named_parameters(names: frozenset) -> Schema:
    """A schema taking exactly ``names`` (as the text they are), for a query or a body: one instance per set, for
    ``ParsedQueries``."""
    return Schema.from_dict({name: ma.fields.Raw() for name in sorted(names)}, name="NamedQueryParameters")()


def request_operation() -> Operation | None:
    """The documented operation the current request reached, or None (an unknown URL, Swagger UI, a preflight)."""
    blueprint = current_app.blueprints.get(request.blueprint) if request.blueprint else None
    operations = getattr(blueprint, "operations", None)
    if not operations:
        return None
    method = "GET" if request.method == "HEAD" else request.method
    return operations.get((request.endpoint.rpartition(".")[2], method))


def install_operation_checks(app: Flask) -> None:
    """Hold every request and answer to its operation's documentation.

    A query parameter the operation does not document is a 422 naming it, whether or not the
    operation reads a query schema: one without is parsed by the same parser against the
    parameters it documents one by one (none, mostly), so the answer is the one a list gives a
    misspelled filter; likewise the fields of a JSON body sent to an operation that takes none.
    Under test (``TESTING``), a success status the operation does not document
    fails the request loudly, as a ``ResponseSchema`` dump missing a field does: a generated client
    would read an undocumented 200 as an error.
    """

    @app.before_request
    def _refuse_what_the_operation_does_not_document():
        # A JSON body an operation does not document (``PATCH .../extend {"hours": 10000}`` answered 200, the
        # field ignored) is parsed against an empty schema, so each of its fields is a 422 naming it, as an
        # unknown field of a documented body is. No body, ``{}`` and non-JSON bodies (a one-click unsubscribe's
        # form) pass. Most requests send neither a query nor a body: they never look the operation up.
        has_query, has_json = bool(request.query_string), bool(request.content_length) and request.is_json
        if not (has_query or has_json):
            return
        operation = request_operation()
        if operation is None:
            return
        if has_query and not operation.query_schema:
            Blueprint.ARGUMENTS_PARSER.parse(_named_parameters(operation.query_names), location="query")
        if has_json and not operation.body:
            Blueprint.ARGUMENTS_PARSER.parse(_named_parameters(frozenset()), location="json")

    if not app.config.get("TESTING"):
        return

    @app.after_request
    def _success_is_documented(response):
        if 200 <= response.status_code < 400:
            operation = request_operation()
            # One documenting no success at all (a test's throwaway route) says nothing to hold it to; the
            # contract test holds every operation of the API to documenting one.
            if operation is not None and operation.successes and response.status_code not in operation.successes:
                raise AssertionError(f"{request.method} {request.url_rule.rule} answered {response.status_code}, "
                                     f"which it does not document ({sorted(operation.successes)}): add "
                                     "@blp.alt_response")
        return response


def _unavailable_service(exc: Exception) -> str | None:
    """'MongoDB' or 'Redis' when the exception means that service cannot be reached, else None."""
    import pymongo.errors
    import redis.exceptions

    if isinstance(exc, (pymongo.errors.ConnectionFailure, pymongo.errors.ServerSelectionTimeoutError)):
        return "The database (MongoDB)"
    if isinstance(exc, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)):
        return "Redis"
    cause = exc.__cause__ or exc.__context__
    return _unavailable_service(cause) if isinstance(cause, Exception) and cause is not exc else None


def install_swagger_assets(app: Flask) -> None:
    """Serve Swagger UI's files (no CDN needed), and its page at ``/docs/`` too.

    The files are the Swagger UI release flask-swagger-ui vendors (``dist/``; its version follows
    Swagger UI's own); only the files are used, the page is flask-smorest's.
    """
    import flask_swagger_ui

    assets = os.path.join(os.path.dirname(flask_swagger_ui.__file__), "dist")

    @app.route("/docs/assets/<path:filename>")
    def swagger_assets(filename):
        return send_from_directory(assets, filename)

    @app.route("/docs/")
    def swagger_ui_with_slash():
        # The same page as flask-smorest's ``/docs``: its asset and document URLs are absolute.
        return app.view_functions["api-docs.openapi_swagger_ui"]()


API_DESCRIPTION = (
    "Every error answers {code, status, message, errors}. Input limits, for every operation: a JSON body "
    "of at most 1 MiB, nested at most 32 levels, integers of at most 20 digits (and within each field's "
    "bounds, never beyond signed 64 bits), finite numbers only, and no text (value or field name, body or "
    "query) containing a NUL character or a lone UTF-16 surrogate. A field marked "
    "x-validated-beyond-schema has a rule no JSON schema can state; its value names it.")


def api_settings() -> dict:
    return {
        "API_TITLE": "Partner Connector API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        # No JSON body needs more; routes that take files raise it per request (CSV import).
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "/docs",
        "OPENAPI_SWAGGER_UI_URL": "/docs/assets/",
        "API_SPEC_OPTIONS": {
            "info": {"description": API_DESCRIPTION},
            # No global requirement: each operation states its own (``[]`` when public).
            "components": {"securitySchemes": SECURITY_SCHEMES},
        },
    }



class ObjectIdString(ma.fields.String):
    """Dumps ObjectIds (or documents) as 24-hex strings."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return str(getattr(value, "id", value))


# What ``iso_utc`` writes, stated on every response datetime so the fuzzers check each answer's shape.
DATETIME_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+00:00$"


class UtcDateTime(ma.fields.DateTime):
    """The API's one datetime format (``pc_app.db.iso_utc``): ISO 8601, UTC offset, milliseconds."""

    def _serialize(self, value, attr, obj, **kwargs):
        from .db import iso_utc

        return iso_utc(value)
