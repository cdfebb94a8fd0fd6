"""The URL map with every plugin: literal paths never fall through to id routes; unknown verbs are 405."""
import re

import pytest
from werkzeug.exceptions import MethodNotAllowed

from pc_app.url_converters import ObjectIdConverter

pytestmark = pytest.mark.e2e

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
SAMPLE_ID = "0123456789abcdef01234567"
# Path segments that are not MongoDB ids, each a deliberate exception.
FREE_SEGMENTS = {("/v1/internal/cron/<job_id>", "job_id"), ("/docs/assets/<path:filename>", "filename")}


def _rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def _sample_url(rule) -> str:
    """A concrete URL of the rule: a sample id for id segments, ``x`` for any other."""
    return re.sub(r"<(?:(\w+)(?:\(.*?\))?:)?\w+>",
                  lambda m: SAMPLE_ID if m.group(1) == "objectid" else "x", rule.rule)


def test_every_path_segment_that_holds_an_id_matches_only_ids(app):
    for rule in _rules(app):
        for name, converter in rule._converters.items():
            if (rule.rule, name) not in FREE_SEGMENTS:
                assert isinstance(converter, ObjectIdConverter), f"{rule.rule}: <{name}> should be <objectid:{name}>"


def test_no_url_of_one_route_is_answered_by_another(app):
    """Each route's URLs reach only that route's path, whatever the method; the rest is 405."""
    adapter = app.url_map.bind("localhost")
    for rule in _rules(app):
        url = _sample_url(rule)
        for method in METHODS:
            try:
                matched, _args = adapter.match(url, method, return_rule=True)
            except MethodNotAllowed:
                continue
            assert matched.rule == rule.rule, f"{method} {url} reached {matched.rule} instead of {rule.rule}"


def test_a_verb_a_path_does_not_offer_answers_405_with_allow(app, client):
    offered: dict[str, set] = {}
    for rule in _rules(app):
        offered.setdefault(_sample_url(rule), set()).update(rule.methods)
    checked = 0
    for url, methods in offered.items():
        for method in sorted(set(METHODS) - methods):
            response = client.open(url, method=method)
            assert response.status_code == 405, f"{method} {url} -> {response.status_code}"
            body = response.get_json()
            assert set(body) == {"code", "status", "message", "errors"} and body["code"] == 405
            assert set(response.headers["Allow"].split(", ")) == methods, (method, url)
            checked += 1
    assert checked > 50


@pytest.mark.parametrize("url, allowed", [
    ("/v1/integrations/hubspot/authorize", {"GET"}),
    ("/v1/leads/import", {"POST"}),
])
def test_delete_on_a_literal_path_is_405_not_an_id_route(client, actors, url, allowed):
    response = client.delete(url, headers=actors.partner_owner().headers)
    assert response.status_code == 405
    assert allowed <= set(response.headers["Allow"].split(", "))


def test_a_malformed_id_is_404_in_the_error_shape(client, actors):
    owner = actors.partner_owner()
    for url in ("/v1/leads/not-an-id", f"/v1/partners/{SAMPLE_ID.upper()}", "/v1/marketplace/leads/123"):
        response = client.get(url, headers=owner.headers)
        assert response.status_code == 404 and set(response.get_json()) == {"code", "status", "message", "errors"}
