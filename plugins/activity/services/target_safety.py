"""Where webhooks may go (SSRF): URL rules at registration, address rules after DNS resolution at every attempt.

Under production rules only ``https`` URLs whose host resolves exclusively to public addresses
are accepted; private, loopback, link-local (cloud metadata, 169.254.169.254), shared,
multicast and reserved ranges are refused, both when the endpoint is registered and again when
each attempt resolves the name, and the connection then goes to the very address that was
checked, so a name that rebinds to 10.0.0.1 after registration is never delivered to.
Development rules (``PC_ENV`` development or test) allow ``http`` and local receivers.

The resolver is our own small object, ``resolver``, so tests replace it with one that answers a
private address instead of patching sockets.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048


class TargetRefused(ValueError):
    """The URL or the address it resolves to is not a place webhooks may go; the message says why."""


class Resolver:
    """Names to addresses through the system resolver (``getaddrinfo``)."""

    def resolve(self, host: str, port: int) -> list[str]:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise TargetRefused(f"The host {host} does not resolve ({exc}).") from None
        return list(dict.fromkeys(info[4][0] for info in infos))


resolver = Resolver()


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent on the request line


def rules_for(config) -> str:
    """``production`` or ``development``: ``WEBHOOKS_TARGET_RULES``, else decided by ``PC_ENV``."""
    chosen = config.get("WEBHOOKS_TARGET_RULES") or ""
    if chosen:
        return chosen
    return "production" if config["PC_ENV"] == "production" else "development"


def parse_target(url: str, rules: str) -> Target:
    """Check the URL's shape (scheme, host, no credentials); raises ``TargetRefused``."""
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH:
        raise TargetRefused(f"The URL must be at most {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused("The URL is not valid.") from None
    allowed = ("https",) if rules == "production" else ("https", "http")
    if parts.scheme not in allowed:
        raise TargetRefused("Webhook URLs must use https." if rules == "production"
                            else "Webhook URLs must use http or https.")
    if not parts.hostname:
        raise TargetRefused("The URL has no host.")
    if parts.username or parts.password:
        raise TargetRefused("The URL must not carry credentials; verify our signature instead.")
    if parts.fragment:
        raise TargetRefused("The URL must not have a fragment.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path)


def is_public_address(address: str) -> bool:
    """True for globally routable unicast addresses; private, loopback, link-local, metadata... are not.

    An IPv6 address embedding an IPv4 one is judged by it too: IPv4-mapped (``::ffff:a.b.c.d``) by
    the embedded address alone, 6to4 (``2002:aabb:ccdd::``) and Teredo (``2001:0::``, server and
    client) by the IPv6 address *and* every embedded address, so ``2002:a9fe:a9fe::1`` (169.254.169.254)
    or ``2002:7f00:1::`` (127.0.0.1) is not public.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    judged: list = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            judged = [ip.ipv4_mapped]
        if ip.sixtofour is not None:
            judged.append(ip.sixtofour)
        if ip.teredo is not None:
            judged.extend(ip.teredo)
    return all(_is_public(one) for one in judged)


def _is_public(ip) -> bool:
    return bool(ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local
                                      or ip.is_private or ip.is_unspecified))


def addresses_for(target: Target, rules: str) -> list[str]:
    """The addresses to connect to, after resolution; under production rules every one must be public."""
    try:
        ipaddress.ip_address(target.host)
        addresses = [target.host]
    except ValueError:
        addresses = resolver.resolve(target.host, target.port)
    if not addresses:
        raise TargetRefused(f"The host {target.host} does not resolve.")
    if rules == "production":
        refused = [a for a in addresses if not is_public_address(a)]
        if refused:
            raise TargetRefused(f"The host {target.host} resolves to {refused[0]}, which is not a public address; "
                                f"webhooks go only to public addresses.")
    return addresses
