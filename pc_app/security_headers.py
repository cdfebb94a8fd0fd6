"""Security headers on every answer: no MIME sniffing, no framing, no caching of API data.

- Every answer: ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` and
  ``Referrer-Policy: no-referrer``.
- Every answer outside the API documentation (``/v1/...``, ``/dev/...``, health): ``Cache-Control:
  no-store``, since any of them may carry a token or personal data and no browser or proxy
  should keep a copy; and ``Content-Security-Policy: default-src 'none'; frame-ancestors
  'none'``, since JSON never needs to load anything.
- Swagger UI (``/docs``): a policy that allows only our own files (served from the
  flask-swagger-ui package) and, by hash, the one inline script the page starts with.
"""
from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, request

API_POLICY = "default-src 'none'; frame-ancestors 'none'"
# Swagger UI renders inline style attributes and data: icons; scripts are only ours (by hash).
DOCS_POLICY = ("default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
DOCUMENTATION_PATHS = ("/docs", "/openapi.json")

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def inline_script_hashes(html: str) -> list[str]:
    """CSP source expressions (``'sha256-…'``) for every inline ``<script>`` of a page."""
    return [f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
            for body in _INLINE_SCRIPT.findall(html)]


def install_security_headers(app: Flask) -> None:
    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "no-referrer"
        if request.path.startswith(DOCUMENTATION_PATHS):
            if response.mimetype == "text/html" and not response.direct_passthrough:
                hashes = " ".join(inline_script_hashes(response.get_data(as_text=True)))
                headers["Content-Security-Policy"] = DOCS_POLICY.format(hashes=hashes).replace("  ", " ")
            return response
        headers["Cache-Control"] = "no-store"
        headers.setdefault("Content-Security-Policy", API_POLICY)
        return response
