"""Rate limits count per client address, and only a configured proxy may say what that address is."""
import pytest

from pc_app.proxies import TrustedProxies

from .api_checks import assert_error_shape


def _client(app_config, **settings):
    from pc_app import create_app
    from pc_app.testing import reset_state

    app = create_app({**app_config, "RATELIMIT_SIGN_IN": "10 per minute", **settings})
    reset_state(app)
    return app.test_client()


def _sign_ins(client, forwarded_for):
    """25 sign-ins, each with another e-mail (so only the per-address limit can trip) and XFF value."""
    return [client.post("/v1/auth/sign-in", json={"email": f"user{i}@example.test", "password": "Wrong-Password-1"},
                        headers={"X-Forwarded-For": forwarded_for(i)}).status_code
            for i in range(25)]


def test_a_rotating_x_forwarded_for_from_an_untrusted_peer_does_not_escape_the_limit(app_config):
    client = _client(app_config)  # no trusted proxy: the socket's peer is the client
    statuses = _sign_ins(client, lambda i: f"198.51.100.{i + 1}")
    assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget(app_config):
    client = _client(app_config, TRUSTED_PROXY_ADDRESSES=["127.0.0.0/8"])
    assert set(_sign_ins(client, lambda i: f"198.51.100.{i + 1}")) == {401}
    same_client = _sign_ins(client, lambda i: "203.0.113.7")
    assert same_client[:10] == [401] * 10 and set(same_client[10:]) == {429}


def test_an_address_a_client_adds_in_front_of_the_proxys_own_is_ignored(app_config):
    client = _client(app_config, TRUSTED_PROXY_ADDRESSES=["127.0.0.1"])
    # The proxy appends the real client (203.0.113.7) to whatever the client sent.
    statuses = _sign_ins(client, lambda i: f"198.51.100.{i + 1}, 203.0.113.7")
    assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}
    body = assert_error_shape(client.post("/v1/auth/sign-in", json={"email": "x@example.test", "password": "y"},
                                          headers={"X-Forwarded-For": "203.0.113.7"}), 429)
    assert "try again" in body["message"].lower()


def _seen(trusted, peer, headers):
    """What the app behind the middleware sees for a request from ``peer`` with ``headers``."""
    seen = {}

    def app(environ, start_response):
        seen.update(address=environ["REMOTE_ADDR"], scheme=environ["wsgi.url_scheme"], host=environ.get("HTTP_HOST"),
                    peer=environ["pc.peer_address"])
        start_response("204 No Content", [])
        return []

    environ = {"REMOTE_ADDR": peer, "wsgi.url_scheme": "http", "HTTP_HOST": "pod:3000",
               **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}}
    TrustedProxies(app, trusted)(environ, lambda *a: None)
    return seen


FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "api.example"}


def test_forwarded_scheme_and_host_count_only_from_a_trusted_proxy():
    assert _seen(["10.0.0.0/8"], "10.1.2.3", FORWARDED) == {
        "address": "203.0.113.7", "scheme": "https", "host": "api.example", "peer": "10.1.2.3"}
    assert _seen(["10.0.0.0/8"], "192.0.2.1", FORWARDED) == {
        "address": "192.0.2.1", "scheme": "http", "host": "pod:3000", "peer": "192.0.2.1"}
    assert _seen([], "10.1.2.3", FORWARDED)["address"] == "10.1.2.3"  # nothing trusted by default


@pytest.mark.parametrize("forwarded_for, client", [
    ("203.0.113.7, 10.0.0.5", "203.0.113.7"),          # load balancer, then the ingress: both trusted
    ("198.51.100.1, 203.0.113.7, 10.0.0.5", "203.0.113.7"),
    ("not-an-address, 10.0.0.5", "10.0.0.5"),          # garbage stops the walk at the last vouched address
    ("", "10.9.9.9"),                                  # a proxy that forwards nothing: the proxy itself
    ("::ffff:203.0.113.7", "203.0.113.7"),
])
def test_the_client_is_the_right_most_address_that_is_not_a_trusted_proxy(forwarded_for, client):
    assert _seen(["10.0.0.0/8"], "10.9.9.9", {"X-Forwarded-For": forwarded_for})["address"] == client
