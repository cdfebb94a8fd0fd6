"""The OpenAPI document, with every plugin enabled, is a contract a typed client can trust.

It is valid OpenAPI (openapi-spec-validator); datamodel-code-generator turns it into typed
pydantic models that parse real answers; every operation has a stable camelCase operationId,
a summary and a description, described parameters, its security, each success it answers and
each error it can answer as a shared response component; response objects mark their fields required and state their
enums; the main operations carry examples that match their schemas; every datetime an answer
holds has the one shape ``pc_app.db.iso_utc`` writes; Swagger UI answers at ``/docs`` and
``/docs/``.
"""
import importlib.util
import json
import re
import sys

import pytest

from .fuzz_stack import enable_payouts

pytestmark = pytest.mark.e2e

METHODS = ("get", "put", "post", "patch", "delete")
CAMEL_CASE = re.compile(r"^[a-z]+(?:[A-Z][a-z0-9]*)*$")
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+00:00$")

# A frontend codes against these names: they must not move.
MAIN_OPERATIONS = {
    ("post", "/v1/auth/sign-in"): "signIn",
    ("post", "/v1/auth/register-partner"): "registerPartner",
    ("get", "/v1/leads"): "listLeads",
    ("post", "/v1/leads"): "createLead",
    ("get", "/v1/leads/{lead_id}"): "getLead",
    ("get", "/v1/marketplace/leads"): "listMarketplaceLeads",
    ("get", "/v1/marketplace/leads/{lead_id}"): "getMarketplaceLead",
    ("post", "/v1/marketplace/leads/{lead_id}/reserve"): "reserveLead",
    ("post", "/v1/marketplace/purchases"): "createPurchase",
    ("get", "/v1/activities"): "listActivities",
}

# The main operations show a frontend developer what to send and what comes back.
WITH_EXAMPLES = {"signIn", "registerPartner", "createLead", "listLeads", "listMarketplaceLeads", "reserveLead",
                 "createPurchase", "listActivities"}

# Errors each of these operations answers beyond what every operation documents.
ERRORS = {
    "signIn": {401, 422, 429}, "registerPartner": {422, 429}, "createLead": {403, 409, 422},
    "updateLead": {404, 409, 422}, "getMarketplaceLead": {404, 429}, "reserveLead": {404, 409},
    "createPurchase": {402, 404, 409, 422, 502, 503}, "refundPurchase": {404, 409, 502, 503},
    "extendReservation": {409}, "cancelReservation": {409}, "createHubspotPipeline": {409, 502},
    "setHubspotStageMapping": {409, 422, 502}, "resolveSyncConflict": {404, 409, 502},
    "completeHubspotAuthorization": {429}, "receiveHubspotWebhook": {401, 429}, "receiveStripeWebhook": {400, 429},
    "inviteUser": {409, 422}, "startHubspotSync": {409}, "createPayoutOnboardingLink": {502, 503},
}

# 5xx answers that carry the error shape plus more (the steps to create HubSpot's pipeline by hand).
ERROR_SHAPE_AND_MORE = {("createHubspotPipeline", 502)}

# Fields some answers leave out (``ResponseSchema.OPTIONAL``); every other field of an answer is required.
OPTIONAL_FIELDS = {("HubspotPipeline", "created")}

# Response fields whose values come from a fixed vocabulary (statuses, roles, deal statuses, currencies...).
ENUMERATED = {"status", "role", "dealStatus", "currency", "interval", "seniority", "industry", "companySize",
              "invoiceType", "audience", "trigger", "resolution", "unmaskPolicy", "relationship", "channels",
              "industries", "companySizes", "seniorities", "matchedCriteria"}
# ANALYTICS_CURRENCY is any ISO code the operator configures, not one of the lead currencies.
NOT_ENUMERATED = {("AnalyticsPartnerAnalytics", "currency"), ("AnalyticsMarketplaceAnalytics", "currency")}


@pytest.fixture
def spec(client) -> dict:
    return client.get("/openapi.json").get_json()


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation, item.get("parameters", []) + operation.get("parameters", [])


def resolve(spec, node):
    while isinstance(node, dict) and "$ref" in node:
        target = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def json_responses(spec, operation, *, success=True):
    """(status, schema) of an operation's JSON answers."""
    for status, response in operation["responses"].items():
        if status == "default" or (status.startswith("2") != success):
            continue
        schema = resolve(spec, response).get("content", {}).get("application/json", {}).get("schema")
        if schema is not None:
            yield status, schema


def response_components(spec) -> set[str]:
    """Names of the component schemas any success answer reaches."""
    names: set[str] = set()
    stack = [schema for *_rest, operation, _params in operations(spec)
             for _status, schema in json_responses(spec, operation)]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in names:
                    names.add(name)
                    stack.append(spec["components"]["schemas"][name])
                continue
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return names


def test_the_document_is_valid_openapi(spec):
    from openapi_spec_validator import validate

    validate(spec)
    assert len(list(operations(spec))) >= 85  # every plugin's routes are in it


def test_every_operation_has_a_unique_camel_case_operation_id_and_the_main_ones_keep_theirs(spec):
    ids = [operation.get("operationId") for _m, _p, operation, _params in operations(spec)]
    assert [i for i in ids if not (isinstance(i, str) and CAMEL_CASE.fullmatch(i))] == []
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    found = {(method, path): operation["operationId"] for method, path, operation, _params in operations(spec)}
    assert {key: found.get(key) for key in MAIN_OPERATIONS} == MAIN_OPERATIONS


def test_every_operation_and_parameter_is_described(spec):
    undescribed = [f"{method.upper()} {path}" for method, path, operation, _params in operations(spec)
                   if not operation.get("summary") or not operation.get("description")]
    assert undescribed == [], undescribed
    parameters = [f"{method.upper()} {path} {param['in']} {param['name']}"
                  for method, path, _operation, params in operations(spec) for param in map(
                      lambda p: resolve(spec, p), params) if not param.get("description")]
    assert parameters == [], parameters


def test_every_operation_documents_its_successes(spec):
    """Each answers at least one documented success; under test, answering another fails the request
    (``install_operation_checks``), so a success a client would type as the error cannot go unnoticed."""
    silent = [f"{method.upper()} {path}" for method, path, operation, _params in operations(spec)
              if not any(code != "default" and 200 <= int(code) < 400 for code in operation["responses"])]
    assert silent == [], silent


def test_every_error_is_a_shared_component_with_the_error_schema(spec):
    components = spec["components"]["responses"]
    problems = []
    for method, path, operation, _params in operations(spec):
        label = f"{operation['operationId']} ({method.upper()} {path})"
        codes = {int(code) for code in operation["responses"] if code != "default" and int(code) >= 400}
        for code in codes:
            response = operation["responses"][str(code)]
            if (operation["operationId"], code) in ERROR_SHAPE_AND_MORE:
                body = resolve(spec, resolve(spec, response)["content"]["application/json"]["schema"])
                if not {"code", "status", "message", "errors"} <= set(body.get("required", ())):
                    problems.append(f"{label}: {code} is not the error shape")
            elif not response.get("$ref", "").startswith("#/components/responses/"):
                problems.append(f"{label}: {code} is not a shared response")
            elif resolve(spec, components[response["$ref"].rsplit("/", 1)[1]])["content"]["application/json"][
                    "schema"] != {"$ref": "#/components/schemas/Error"}:
                problems.append(f"{label}: {code} does not answer the error schema")
        expected = set(ERRORS.get(operation["operationId"], ()))
        if operation.get("security"):
            expected.add(401)
        if "application/json" in operation.get("requestBody", {}).get("content", {}):
            expected |= {400, 413, 422}
        if operation["operationId"] != "getLiveness":
            expected.add(503)
        if expected - codes:
            problems.append(f"{label}: missing {sorted(expected - codes)}")
    assert problems == [], problems


def test_each_error_status_has_one_response_component(spec):
    """flask-smorest's own per-status components (``UNPROCESSABLE_ENTITY``) would stand beside ours
    (``UnprocessableEntity``): two names, two types in a generated client, for one answer."""
    from pc_app.errors import SHARED_RESPONSES

    ours = {name for name, _description in SHARED_RESPONSES.values()}
    assert set(spec["components"]["responses"]) - ours == {"DEFAULT_ERROR"}


def test_every_schema_component_is_used_and_no_header_is_exposed_that_is_never_sent(spec, client):
    """Lists answer their page in the body: flask-smorest's ``PaginationMetadata`` (for an ``X-Pagination``
    header) would be a type nothing returns, and a header exposed to browsers that never comes."""
    schemas = spec["components"]["schemas"]
    used: set[str] = set()
    stack = [spec["paths"], spec["components"].get("responses", {}), spec["components"].get("headers", {})]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] not in used:
                used.add(ref.rsplit("/", 1)[1])
                stack.append(schemas[ref.rsplit("/", 1)[1]])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    assert sorted(set(schemas) - used) == []
    exposed = client.get("/healthz", headers={"Origin": "http://localhost:3001"}).headers[
        "Access-Control-Expose-Headers"]
    # Every answer has a request id; 429 and 503 say when to try again.
    assert sorted(name.strip() for name in exposed.split(",")) == ["Retry-After", "X-Request-ID"]


# The activity feed pages by cursor (PRODUCT.md); every other list answers a numbered page.
CURSOR_PAGED = {"listActivities"}
PAGE = {"items", "total", "totalCapped", "page", "perPage", "pages"}


def test_every_list_answers_a_page(spec):
    """README: lists answer ``{items, total, page, perPage, pages}``, and take ``page`` and ``perPage``."""
    odd = []
    for _method, _path, operation, params in operations(spec):
        for status, schema in json_responses(spec, operation):
            fields = set(resolve(spec, schema).get("properties", {}))
            if "items" in fields and operation["operationId"] not in CURSOR_PAGED:
                taken = {resolve(spec, param)["name"] for param in params if resolve(spec, param)["in"] == "query"}
                if fields != PAGE or not {"page", "perPage"} <= taken:
                    odd.append(f"{operation['operationId']} {status}: {sorted(fields)}, query {sorted(taken)}")
    assert odd == [], odd


def test_no_success_says_when_to_try_again(client, actors):
    """``Retry-After`` belongs to the 429 and 503 answers that document it, not to a rate-limited route's successes."""
    actor = actors.partner_owner()
    answers = [client.post("/v1/auth/sign-in", json={"email": actor.user.email, "password": actor.password}),
               client.post("/v1/auth/forgot-password", json={"email": actor.user.email}),
               client.post("/v1/auth/register-partner", json={"companyName": "Initech", "name": "Peter",
                                                              "email": "peter@initech.example"})]
    assert [(answer.status_code, answer.headers.get("Retry-After")) for answer in answers] == [
        (200, None), (202, None), (202, None)]
    assert all(int(answer.headers["X-RateLimit-Remaining"]) >= 0 for answer in answers)  # what is left still shows


def test_every_answer_marks_its_fields_required_and_states_its_enums(spec):
    problems = []
    schemas = spec["components"]["schemas"]
    for name in sorted(response_components(spec)):
        schema = schemas[name]
        properties = schema.get("properties", {})
        optional = set(properties) - set(schema.get("required", ()))
        if properties and optional != {field for owner, field in OPTIONAL_FIELDS if owner == name}:
            problems.append(f"{name}: not required: {sorted(optional)}")
        for field, prop in properties.items():
            values = prop.get("items", prop) if prop.get("type") == "array" else prop
            if values.get("type") == "object" and "additionalProperties" in values:
                continue  # a map keyed by a vocabulary: OpenAPI 3.0 cannot state an enum of keys
            if field in ENUMERATED and (name, field) not in NOT_ENUMERATED and "enum" not in values:
                problems.append(f"{name}.{field}: no enum")
            if prop.get("format") == "date-time" and prop.get("pattern") != ISO_UTC.pattern:
                problems.append(f"{name}.{field}: a date-time without the iso_utc pattern")
    for method, path, operation, _params in operations(spec):
        for status, schema in json_responses(spec, operation):
            if resolve(spec, schema).get("type") == "array" and "items" not in resolve(spec, schema):
                problems.append(f"{method.upper()} {path} {status}: a list without its item schema")
            if schema == {} or schema.get("type") == "object" and not schema.get("properties"):
                problems.append(f"{method.upper()} {path} {status}: an answer with no schema")
    assert problems == [], problems


def test_every_property_of_every_schema_states_its_type(spec):
    """A property with neither a type nor a schema to follow becomes ``unknown`` (``Any``) in a typed client."""
    typed = ("type", "$ref", "allOf", "oneOf", "anyOf")
    untyped = []

    def walk(where, node):
        if not any(key in node for key in typed):
            untyped.append(where)
        for name, prop in node.get("properties", {}).items():
            walk(f"{where}.{name}", prop)
        if isinstance(node.get("items"), dict):
            walk(f"{where}[]", node["items"])
        for branch in node.get("allOf", []) + node.get("oneOf", []) + node.get("anyOf", []):
            walk(f"{where}|", branch)

    for name, schema in spec["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            walk(f"{name}.{field}", prop)
    assert untyped == [], untyped


def test_the_main_operations_have_examples_that_match_their_schemas(spec):
    from openapi_schema_validator import OAS30Validator

    found: dict[str, list] = {}
    for _method, _path, operation, _params in operations(spec):
        media = [media for media in operation.get("requestBody", {}).get("content", {}).values()]
        media += [resolve(spec, response).get("content", {}).get("application/json", {})
                  for status, response in operation["responses"].items() if status.startswith("2")]
        for item in media:
            if "example" in item:
                found.setdefault(operation["operationId"], []).append((item["schema"], item["example"]))
    assert WITH_EXAMPLES <= set(found), sorted(WITH_EXAMPLES - set(found))
    for operation_id, pairs in found.items():
        for schema, example in pairs:
            validator = OAS30Validator({**resolve(spec, schema), "components": spec["components"]})
            errors = [error.message for error in validator.iter_errors(example)]
            assert errors == [], (operation_id, errors[:3])


def test_a_typed_client_generates_from_the_document_and_parses_real_answers(spec, client, actors, tmp_path):
    import email_validator  # noqa: F401  (the generated models check format: email with pydantic's EmailStr)
    from datamodel_code_generator import DataModelType, InputFileType, generate

    output = tmp_path / "pc_models.py"
    generate(json.dumps(spec), input_file_type=InputFileType.OpenAPI, output=output,
             output_model_type=DataModelType.PydanticV2BaseModel, use_annotated=True, field_constraints=True,
             strict_nullable=True, use_subclass_enum=True, enum_field_as_literal=None)
    module_spec = importlib.util.spec_from_file_location("pc_models", output)
    models = importlib.util.module_from_spec(module_spec)
    sys.modules["pc_models"] = models
    try:
        module_spec.loader.exec_module(models)
    finally:
        sys.modules.pop("pc_models", None)
    actor = actors.partner_owner(icp={"industries": ["saas"]})
    created = client.post("/v1/leads", json={"firstName": "Ada", "email": "ada@lead.example", "industry": "saas"},
                          headers=actor.headers)
    assert created.status_code == 201
    lead = models.Lead.model_validate(created.get_json())
    assert lead.dealStatus.value == "new" and lead.createdAt.tzinfo is not None
    page = models.LeadPage.model_validate(client.get("/v1/leads", headers=actor.headers).get_json())
    assert [item.email for item in page.items] == ["ada@lead.example"]
    me = models.Me.model_validate(client.get("/v1/auth/me", headers=actor.headers).get_json())
    assert me.role.value == "user" and me.partner.status.value == "active"


def _bought(client, stripe_sandbox, seller, buyer) -> dict:
    """A lead listed by ``seller`` and reserved by ``buyer``: the body of its purchase."""
    enable_payouts(client, stripe_sandbox, seller)
    lead = client.post("/v1/leads", json={"firstName": "Grace", "email": "grace@lead.example", "industry": "saas",
                                          "dealAmount": 120000}, headers=seller.headers).get_json()
    assert client.post(f"/v1/marketplace/leads/{lead['id']}/list", json={"price": 5000},
                       headers=seller.headers).status_code == 201
    reservation = client.post(f"/v1/marketplace/leads/{lead['id']}/reserve", headers=buyer.headers).get_json()
    return {"reservationId": reservation["id"], "paymentMethodId": "pm_card_visa"}


def test_a_purchase_sent_again_answers_200_with_the_purchase_as_the_document_says(spec, client, actors,
                                                                                 stripe_sandbox):
    from openapi_schema_validator import OAS30Validator

    buyer = actors.partner_owner(icp={"industries": ["saas"]})
    body = _bought(client, stripe_sandbox, actors.partner_owner(icp={"industries": ["saas"]}), buyer)
    first = client.post("/v1/marketplace/purchases", json=body, headers=buyer.headers)
    again = client.post("/v1/marketplace/purchases", json=body, headers=buyer.headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    operation = spec["paths"]["/v1/marketplace/purchases"]["post"]
    documented = dict(json_responses(spec, operation))
    assert documented.get("200") == documented["201"] == {"$ref": "#/components/schemas/PaymentsPurchase"}
    validator = OAS30Validator({**documented["200"], "components": spec["components"]})
    assert [error.message for error in validator.iter_errors(again.get_json())] == []


def datetime_values(spec, schema, body, path="$"):
    """(path, value) of every date-time field of an answer, the schema telling which fields are datetimes."""
    schema = resolve(spec, schema)
    for branch in schema.get("anyOf", []) + schema.get("allOf", []):
        yield from datetime_values(spec, branch, body, path)
    if schema.get("format") == "date-time" and body is not None:
        yield path, body
    if isinstance(body, dict):
        for key, value in body.items():
            if key in schema.get("properties", {}):
                yield from datetime_values(spec, schema["properties"][key], value, f"{path}.{key}")
    elif isinstance(body, list) and "items" in schema:
        for index, value in enumerate(body):
            yield from datetime_values(spec, schema["items"], value, f"{path}[{index}]")


def test_every_datetime_of_the_main_resources_has_the_one_format(app, spec, client, actors, stripe_sandbox):
    seller = actors.partner_owner(icp={"industries": ["saas"]})
    buyer = actors.partner_owner(icp={"industries": ["saas"]})
    staff = actors.owner()
    enable_payouts(client, stripe_sandbox, seller)
    lead = client.post("/v1/leads", json={"firstName": "Grace", "email": "grace@lead.example", "industry": "saas",
                                          "dealAmount": 120000}, headers=seller.headers).get_json()
    client.post(f"/v1/leads/{lead['id']}/notes", json={"text": "Called."}, headers=seller.headers)
    assert client.post(f"/v1/marketplace/leads/{lead['id']}/list", json={"price": 5000},
                       headers=seller.headers).status_code == 201
    reservation = client.post(f"/v1/marketplace/leads/{lead['id']}/reserve", headers=buyer.headers).get_json()
    purchase = client.post("/v1/marketplace/purchases", json={"reservationId": reservation["id"],
                                                              "paymentMethodId": "pm_card_visa"},
                           headers=buyer.headers).get_json()
    walk = [("getLead", f"/v1/leads/{lead['id']}", seller), ("listLeads", "/v1/leads?readOnly=true", seller),
            ("getPartner", f"/v1/partners/{seller.partner_id}", seller), ("listUsers", "/v1/users", staff),
            ("getCurrentUser", "/v1/auth/me", seller), ("listMyListings", "/v1/marketplace/my-listings", seller),
            ("listReservations", "/v1/marketplace/reservations", buyer),
            ("getReservation", f"/v1/marketplace/reservations/{reservation['id']}", buyer),
            ("getPurchase", f"/v1/marketplace/purchases/{purchase['id']}", buyer),
            ("listInvoices", "/v1/invoices", buyer), ("listActivities", "/v1/activities", seller),
            ("listActivities", "/v1/activities", buyer), ("getPayoutStatus", "/v1/payments/connect/status", seller)]
    by_id = {operation["operationId"]: operation for *_rest, operation, _params in operations(spec)}
    seen = []
    for operation_id, url, actor in walk:
        answer = client.get(url, headers=actor.headers)
        assert answer.status_code == 200, (url, answer.get_json())
        schema = dict(json_responses(spec, by_id[operation_id]))["200"]
        seen += [(f"{operation_id}{path}", value) for path, value in datetime_values(spec, schema, answer.get_json())]
    # Activities arrive through the worker and a payout status may never have been refreshed: the rest all hold
    # datetimes.
    contributing = {where.split("$")[0] for where, _value in seen}
    assert {operation_id for operation_id, *_rest in walk} - {"listActivities", "getPayoutStatus"} <= contributing
    assert [(where, value) for where, value in seen if not ISO_UTC.fullmatch(value)] == []
    # The reservation's own timestamps (kept as epoch milliseconds) come out in the same shape.
    assert any(where.startswith("getReservation$.expiresAt") for where, _value in seen)


@pytest.mark.parametrize("url", ["/docs", "/docs/"])
def test_swagger_ui_answers_with_and_without_the_slash(client, url):
    page = client.get(url)
    assert page.status_code == 200
    assert b"swagger-ui" in page.data and b"/openapi.json" in page.data
    assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_the_document_is_written_once_on_first_read_and_a_racing_first_reader_gets_all_of_it(app, client):
    """Building the app leaves the paths unwritten; the reader who finds them half-written waits for them."""
    import threading

    api = app.extensions["pc_api"]
    assert api._spec.to_dict()["paths"] == {}   # nothing written while the app was built
    expected_paths = {rule.rule for rule in app.url_map.iter_rules()
                      if rule.endpoint.split(".")[0] in {name for _blp, name, _p in api._undocumented}}
    first_blp, *_ = api._undocumented[0]
    writing, proceed = threading.Event(), threading.Event()
    original = first_blp.register_views_in_doc

    def held(*args, **kwargs):   # the first reader stops half-way, inside the first blueprint
        writing.set()
        assert proceed.wait(10)
        return original(*args, **kwargs)

    first_blp.register_views_in_doc = held
    try:
        first = threading.Thread(target=lambda: api.spec)
        first.start()
        assert writing.wait(10)
        answers = []
        second = threading.Thread(target=lambda: answers.append(app.test_client().get("/openapi.json")))
        second.start()
        second.join(2)   # it waits for the first reader: the document is not complete yet
        proceed.set()
        first.join(10)
        second.join(10)
    finally:
        del first_blp.register_views_in_doc
    assert answers[0].status_code == 200
    written = {re.sub(r"\{(\w+)\}", r"<\1>", path) for path in answers[0].get_json()["paths"]}
    assert {re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", path) for path in expected_paths} <= written
    assert client.get("/openapi.json").get_json() == answers[0].get_json()   # written once, not twice
