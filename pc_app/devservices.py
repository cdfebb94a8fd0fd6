"""Stand-ins for third-party services that ``pc-app dev`` starts beside MongoDB and Redis.

Each returns the environment that points the app at it; a variable already set in the
environment (a real service) wins and nothing is started.
"""
from __future__ import annotations

import os
from pathlib import Path


def start_hubspot_sandbox(state_dir: Path) -> tuple[dict, list]:
    """The HubSpot sandbox, unless ``HUBSPOT_API_BASE`` points at a real HubSpot (or another sandbox)."""
    if os.environ.get("HUBSPOT_API_BASE"):
        return {}, []
    from .sandbox import SandboxSettings, start_sandbox

    defaults = SandboxSettings()
    client_id = os.environ.get("HUBSPOT_CLIENT_ID") or defaults.client_id
    client_secret = os.environ.get("HUBSPOT_CLIENT_SECRET") or defaults.client_secret
    api_port = os.environ.get("PC_DEV_PORT", "3000")
    webhook_url = f"http://127.0.0.1:{api_port}/v1/integrations/hubspot/webhooks"
    port = int(os.environ.get("PC_DEV_HUBSPOT_PORT", 0)) or None
    service = start_sandbox(state_dir, port, client_id=client_id, client_secret=client_secret,
                            app_secret=os.environ.get("HUBSPOT_APP_SECRET", ""), webhook_url=webhook_url)
    env = {"HUBSPOT_API_BASE": service.url, "HUBSPOT_AUTHORIZE_URL": f"{service.url}/oauth/authorize",
           "HUBSPOT_CLIENT_ID": client_id, "HUBSPOT_CLIENT_SECRET": client_secret,
           "HUBSPOT_SANDBOX_DISPLAY": f"{service.url}  (admin: {service.url}/_sandbox/config)"}
    return env, [service]


def start_dev_services(state_dir: Path) -> tuple[dict, list]:
    """Start the HubSpot sandbox and other stand-ins; returns (env, running services)."""
    env: dict = {}
    started: list = []
    hubspot_env, hubspot_started = start_hubspot_sandbox(state_dir)
    env.update(hubspot_env)
    started.extend(hubspot_started)
    return env, started
