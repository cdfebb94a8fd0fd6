"""A HubSpot sandbox: a real HTTP server answering HubSpot's OAuth and CRM paths, for dev and tests.

Run it with ``python -m pc_app.sandbox --port N``; point ``hubspot-api-client`` at it with
``HubSpot(access_token=..., host="http://127.0.0.1:N")``; steer it through ``/_sandbox``.
"""
from .app import create_sandbox_app  # noqa: F401
from .client import SandboxAdmin, start_sandbox  # noqa: F401
from .state import SandboxSettings  # noqa: F401
