"""Stand-ins for third-party services that ``pc-app dev`` starts beside MongoDB and Redis.

Each returns the environment that points the app at it; a variable already set in the
environment (a real service) wins and nothing is started.
"""
from __future__ import annotations

from pathlib import Path


def start_dev_services(state_dir: Path) -> tuple[dict, list]:
    """Start the HubSpot sandbox and other stand-ins; returns (env, running services)."""
    env: dict = {}
    started: list = []
    return env, started
