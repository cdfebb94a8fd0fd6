"""Security headers on every answer; no caching of anything that may carry a token or personal data."""
import base64
import hashlib
import re

from pc_app.testing import TEST_PASSWORD


def _assert_api_headers(response):
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_tokens_personal_data_and_errors_are_never_cached(client, actors):
    member = actors.member(actors.partner())
    signed_in = client.post("/v1/auth/sign-in", json={"email": member.user.email, "password": TEST_PASSWORD})
    assert signed_in.status_code == 200
    for response in (signed_in, client.get("/v1/auth/me", headers=member.headers), client.get("/v1/auth/me"),
                     client.get("/v1/nothing-here"), client.delete("/healthz"), client.get("/dev/outbox"),
                     client.post("/v1/auth/sign-in", json={})):
        _assert_api_headers(response)


def test_every_get_route_without_parameters_carries_the_headers(app, client, actors):
    owner = actors.owner()
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods and not r.arguments
             and not r.rule.startswith(("/docs", "/openapi.json"))]
    assert len(rules) > 5
    for rule in rules:
        _assert_api_headers(client.get(rule.rule, headers=owner.headers))


def test_swagger_ui_may_not_be_framed_and_runs_only_our_own_scripts(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["X-Content-Type-Options"] == "nosniff"
    policy = dict(part.strip().split(" ", 1) for part in page.headers["Content-Security-Policy"].split(";"))
    assert policy["frame-ancestors"] == "'none'" and policy["default-src"] == "'self'"
    html = page.get_data(as_text=True)
    inline = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    assert len(inline) == 1  # the page's start-up script, allowed by its hash and nothing else
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert policy["script-src"].split() == ["'self'", f"'sha256-{digest}'"]
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]


def test_swagger_ui_loads_its_files_from_us_with_the_right_types(client):
    html = client.get("/docs").get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/docs/assets/") for a in assets)  # 'self' covers them, no CDN
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        # nosniff makes browsers refuse scripts and styles served under another type
        expected = "text/css" if asset.endswith(".css") else "javascript"
        assert expected in response.headers["Content-Type"], (asset, response.headers["Content-Type"])
    spec = client.get("/openapi.json")
    assert spec.status_code == 200 and spec.headers["X-Content-Type-Options"] == "nosniff"
