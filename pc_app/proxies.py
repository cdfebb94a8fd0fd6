"""Who is calling: forwarded headers count only when one of the configured proxies sent them.

Anyone can send ``X-Forwarded-For``. Trusting it from every peer (or trusting "one hop"
whether or not a proxy is there) lets a client choose the address that rate limits count
against. ``TRUSTED_PROXY_ADDRESSES`` lists the proxies (addresses or CIDR networks); a request
from one of them names its client in ``X-Forwarded-For``, and the client is the right-most
address there that is not itself a trusted proxy. Any other request's client is the socket's
peer, whatever its headers say.
"""
from __future__ import annotations

import ipaddress

# The environ key under which the socket's own peer address stays available (logs, debugging).
PEER_ADDRESS_KEY = "pc.peer_address"


def _address(value: str):
    try:
        address = ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _last(value: str) -> str:
    """The right-most entry of a comma list: the one our own proxy wrote."""
    return value.rsplit(",", 1)[-1].strip()


class TrustedProxies:
    """WSGI middleware: ``REMOTE_ADDR``, scheme, host and port from forwarded headers of trusted proxies only."""

    def __init__(self, app, trusted: list[str]):
        self.app = app
        self.networks = [ipaddress.ip_network(entry) for entry in trusted]

    def is_trusted(self, value: str) -> bool:
        address = _address(value)
        return address is not None and any(address in network for network in self.networks)

    def client_address(self, peer: str, forwarded_for: str) -> str:
        """Walk X-Forwarded-For from the right, past trusted proxies, to the first untrusted address."""
        client = peer
        for entry in reversed([part for part in forwarded_for.split(",") if part.strip()]):
            address = _address(entry)
            if address is None:
                break  # garbage where an address belongs: keep the last address a proxy vouched for
            client = str(address)
            if not self.is_trusted(client):
                break
        return client

    def __call__(self, environ, start_response):
        peer = environ.get("REMOTE_ADDR", "")
        environ[PEER_ADDRESS_KEY] = peer
        if self.networks and self.is_trusted(peer):
            environ["REMOTE_ADDR"] = self.client_address(peer, environ.get("HTTP_X_FORWARDED_FOR", ""))
            proto = _last(environ.get("HTTP_X_FORWARDED_PROTO", "")).lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
            host = _last(environ.get("HTTP_X_FORWARDED_HOST", ""))
            if host:
                environ["HTTP_HOST"] = host
            port = _last(environ.get("HTTP_X_FORWARDED_PORT", ""))
            if port.isascii() and port.isdecimal() and 0 < int(port) < 65536:
                environ["SERVER_PORT"] = port
        return self.app(environ, start_response)
