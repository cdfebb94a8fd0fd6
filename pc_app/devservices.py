"""Stand-ins for third-party services that ``pc-app dev`` starts beside MongoDB and Redis.

Every sandbox in ``pc_app.sandboxes.SANDBOXES`` is started unless its variable (``HUBSPOT_API_BASE``,
``STRIPE_API_BASE``, ...) already points at a real service; none runs with ``PC_ENV=production``.
"""
from __future__ import annotations

import os
from pathlib import Path


def start_dev_services(state_dir: Path) -> tuple[dict, list]:
    """Start the sandboxes; returns (the environment that points the app at them, running services)."""
    if os.environ.get("PC_ENV") == "production":
        return {}, []
    from .sandboxes import SANDBOXES

    api_base = f"http://127.0.0.1:{os.environ.get('PC_DEV_PORT', '3000')}"
    env: dict = {}
    started: list = []
    try:
        for spec in SANDBOXES.values():
            if os.environ.get(spec.real_service_env):
                continue
            port = int(os.environ.get(f"PC_DEV_{spec.name.upper()}_PORT", 0)) or None
            service = spec.start_for_dev(state_dir, api_base, port)
            started.append(service)
            env.update(spec.app_settings(service))
            # `pc-app dev` prints every *_DISPLAY variable in its banner.
            env[f"{spec.name.upper()}_SANDBOX_DISPLAY"] = f"{service.url}  (admin: {service.admin_url}/config)"
    except BaseException:
        for service in started:
            service.stop()
        raise
    return env, started
