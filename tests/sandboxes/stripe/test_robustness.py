"""No request, however malformed, makes the Stripe sandbox answer 500 (every route, odd bodies)."""
import pytest

from pc_app.sandboxes.stripe.app import create_sandbox_app
from pc_app.sandboxes.stripe.state import DEFAULT_SECRET_KEY

ODD_FORMS = [{}, {"amount": "-5", "currency": "usd"}, {"amount[]": "1"}, {"a[b]": "1", "a": "2"},
             {"expand[0][x]": "1"}, {"metadata[a][b]": "c"}, {"transfer_data": "x"}, {"limit": "abc"},
             {"created[foo]": "1"}, {"types": "x", "type": "y"}, {"amount": "99999999999999999999999", "currency": "x"},
             {"account": "acct_x", "type": "account_onboarding"}, {"enabled_events[]": "*", "url": "ftp://x"},
             {"payment_intent": "pi_x", "charge": "ch_y"}, {"starting_after": "x", "ending_before": "y"},
             {"expand[]": "data.nothing.deeper.still.more"}, {"amount": "1000", "currency": "usd", "confirm": "true"}]
ODD_JSON = [None, [], {"state": 3}, {"times": "x"}, {"events": "e"}, {"order": 5}, {"succeed": "yes"},
            {"status": 200}, {"fraction": "x"}, {"webhookHold": "true"}, {"timeoutSeconds": "soon"}]


@pytest.fixture(scope="module")
def app():
    return create_sandbox_app()


def _paths(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<{argument}>", "x_unknown")
        yield path, rule.methods - {"HEAD", "OPTIONS"}


def test_no_route_answers_500_to_odd_requests(app):
    client = app.test_client()
    auth = {"Authorization": f"Bearer {DEFAULT_SECRET_KEY}"}
    problems = []
    for path, methods in _paths(app):
        if path.endswith("/webhooks/wait"):
            continue  # waits for deliveries by design
        for method in methods:
            if path.startswith("/_sandbox"):
                answers = [client.open(path, method=method, json=body) for body in ODD_JSON]
            elif method == "GET":
                answers = [client.get(path, query_string=form, headers=auth) for form in ODD_FORMS]
            else:
                answers = [client.open(path, method=method, data=form, headers=auth) for form in ODD_FORMS]
            problems += [f"{method} {path} -> {a.status_code}" for a in answers if a.status_code >= 500]
    assert problems == []
