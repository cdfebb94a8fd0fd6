"""docs/http/partner-connector.http runs top to bottom against the app with every plugin, each request answering
the status the file states."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.e2e

COLLECTION = Path(__file__).resolve().parents[2] / "docs" / "http" / "partner-connector.http"
BASE_URL = "http://localhost"
PLACEHOLDER = re.compile(r"\{\{\s*([^}]+?)\s*\}\}")


@dataclass
class HttpRequest:
    title: str
    method: str
    url: str
    name: str | None = None
    expect: int | None = None
    headers: dict = field(default_factory=dict)
    body: str = ""


def parse_collection(text: str) -> tuple[dict, list[HttpRequest]]:
    """File variables (``@name = value``) and the requests, in the REST Client format: ``###`` starts a request,
    ``# @name`` names it, a request line, headers, a blank line, the body."""
    head, *blocks = re.split(r"^###", text, flags=re.M)
    variables = dict(re.findall(r"^@(\w+)\s*=\s*(.*?)\s*$", head, flags=re.M))
    requests_ = []
    for block in blocks:
        title, *lines = block.split("\n")
        options = {}
        while lines and (lines[0].startswith("#") or not lines[0].strip()):
            line = lines.pop(0)
            if match := re.match(r"#\s*@name\s+(\w+)", line):
                options["name"] = match.group(1)
            if match := re.match(r"#\s*expect:\s*(\d{3})\b", line):
                options["expect"] = int(match.group(1))
        method, url = lines[0].split(maxsplit=1)
        headers, rest = {}, lines[1:]
        while rest and rest[0].strip():
            key, _, value = rest.pop(0).partition(":")
            headers[key.strip()] = value.strip()
        body = "\n".join(rest).strip()
        requests_.append(HttpRequest(title.strip(), method, url.strip(), headers=headers, body=body, **options))
    return variables, requests_


def json_path(document, path: str):
    """The small part of JSONPath the collection uses: ``$.key``, ``$[0]``, chained."""
    value = document
    for key, index in re.findall(r"\.(\w+)|\[(\d+)\]", path[1:]):
        value = value[key] if key else value[int(index)]
    return value


def substitute(text: str, variables: dict, answers: dict, now: int) -> str:
    def value(match):
        ref = match.group(1)
        if ref == "$timestamp":
            return str(now)
        if ref in variables:
            return substitute(variables[ref], variables, answers, now)
        name, _, path = ref.partition(".response.body.")
        assert name in answers, f"{{{{{ref}}}}} names a request not sent before: {name}"
        return str(json_path(answers[name], path))
    return PLACEHOLDER.sub(value, text)


def test_the_collection_is_well_formed_and_covers_the_main_flows():
    variables, collection = parse_collection(COLLECTION.read_text())
    assert set(variables) == {"baseUrl", "password"}
    assert all(request.expect for request in collection), [r.title for r in collection if not r.expect]
    paths = " ".join(f"{r.method} {r.url}" for r in collection)
    for flow in ("register-partner", "verify-registration", "sign-in", "PATCH {{baseUrl}}/v1/partners",
                 "POST {{baseUrl}}/v1/leads", "/list", "GET {{baseUrl}}/v1/marketplace/leads?", "/reserve",
                 "/v1/marketplace/purchases", "/v1/activities", "/v1/analytics/"):
        assert flow in paths, flow


def test_every_request_of_the_collection_answers_the_status_it_states(client, jobs, stripe_sandbox, hubspot_sandbox):
    stripe_sandbox.reset()
    variables, collection = parse_collection(COLLECTION.read_text())
    variables["baseUrl"] = BASE_URL  # what an environment file of the IDE would do
    answers, now = {}, int(time.time())
    for request in collection:
        # What the dev worker and the sandboxes' webhooks do between two clicks.
        stripe_sandbox.deliver_webhooks(client)
        jobs.run()
        url = substitute(request.url, variables, answers, now)
        headers = {k: substitute(v, variables, answers, now) for k, v in request.headers.items()}
        body = substitute(request.body, variables, answers, now).encode() or None
        if url.startswith(BASE_URL):
            answer = client.open(url[len(BASE_URL):], method=request.method, headers=headers, data=body)
            status, document = answer.status_code, answer.get_json(silent=True)
        else:  # a link the user opens in a browser (the sandbox's onboarding page)
            answer = requests.request(request.method, url, headers=headers, data=body, allow_redirects=False,
                                      timeout=10)
            status, document = answer.status_code, None
        assert status == request.expect, (request.title, status, document)
        if request.name:
            answers[request.name] = document
    assert answers["purchase"]["status"] == "succeeded"
