"""Scrubbing secrets out of text before it is logged: known secret values and token-shaped strings."""
from __future__ import annotations

import re
import threading

REDACTED = "[redacted]"

# Shorter values are too likely to occur by chance (and too weak to matter as secrets).
MIN_SECRET_LENGTH = 8

# Key names whose values are secret wherever they appear: dict reprs, JSON, kwargs, query strings.
_SECRET_KEYS = (r"password|passwd|new_?password|current_?password|secret|client_?secret|app_?secret|api_?key"
                r"|token|access_?token|refresh_?token|id_?token|authorization|cookie|x-cron-secret"
                r"|cron_?secret|encryption_?keys?|private_?key")

_PATTERNS: tuple[tuple[re.Pattern, str], ...] = (
    # Authorization headers: "Bearer <token>" / "Basic <credentials>".
    (re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}", re.IGNORECASE), r"\1 " + REDACTED),
    # JSON Web Tokens, wherever they appear (header.payload.signature, both parts base64url JSON).
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), REDACTED),
    # Stripe secret and restricted keys, webhook signing secrets.
    (re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{6,}"), REDACTED),
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=]{6,}"), REDACTED),
    # Credentials inside URLs: scheme://user:password@host.
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@", re.IGNORECASE), r"\1" + REDACTED + "@"),
    # "password": "…", 'token': '…', password='…' (dict reprs, JSON, keyword arguments).
    (re.compile(r"""(["']?\b(?:""" + _SECRET_KEYS + r""")\b["']?\s*[:=]\s*)(["'])(?:\\.|(?!\2).)*\2""",
                re.IGNORECASE), r"\1\2" + REDACTED + r"\2"),
    # Unquoted key=value pairs: query strings, form bodies, log lines written as key=value.
    (re.compile(r"""(\b(?:""" + _SECRET_KEYS + r"""|code|state)=)[^\s&"',;]+""", re.IGNORECASE),
     r"\1" + REDACTED),
    # A token carried in a URL path, such as GET /oauth/v1/access-tokens/<token>.
    (re.compile(r"(/[A-Za-z0-9_-]*tokens?/)[A-Za-z0-9._~+=-]{12,}", re.IGNORECASE), r"\1" + REDACTED),
)

_lock = threading.Lock()
_secret_values: tuple[str, ...] = ()


def register_secret_values(values) -> None:
    """Remember the values of secret settings; any later occurrence in a log line is replaced.

    Called with every app's secrets at start-up. A list value (``ENCRYPTION_KEYS_OLD``) counts item
    by item; values shorter than ``MIN_SECRET_LENGTH`` are ignored.
    """
    global _secret_values
    flat: set[str] = set(_secret_values)
    for value in values:
        items = value if isinstance(value, (list, tuple, set)) else [value]
        flat.update(str(item) for item in items if item is not None and len(str(item)) >= MIN_SECRET_LENGTH)
    with _lock:
        # Longest first, so a secret that contains another is replaced whole.
        _secret_values = tuple(sorted(flat, key=len, reverse=True))


def redact(text: str) -> str:
    """``text`` with every known secret value and every token-shaped string replaced by ``[redacted]``."""
    if not text:
        return text
    for value in _secret_values:
        if value in text:
            text = text.replace(value, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text
