"""Pytest fixture ``hubspot_sandbox``: one sandbox process per test session, steered by its admin API."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from .client import SandboxAdmin, start_sandbox


@dataclass
class HubSpotSandbox:
    """The running sandbox: ``base_url`` for the SDK's ``host``, ``admin`` to steer it."""
    base_url: str
    admin: SandboxAdmin
    client_id: str
    client_secret: str

    @property
    def authorize_url(self) -> str:
        return f"{self.base_url}/oauth/authorize"


@pytest.fixture(scope="session")
def hubspot_sandbox():
    """The HubSpot sandbox (``PC_TEST_HUBSPOT_SANDBOX_URL`` reuses one already running).

    State is per session: call ``hubspot_sandbox.admin.reset()`` where a test needs a blank one.
    """
    url = os.environ.get("PC_TEST_HUBSPOT_SANDBOX_URL")
    service = None
    if not url:
        service = start_sandbox(Path(tempfile.mkdtemp(prefix="pc-hubspot-sandbox-")))
        url = service.url
    admin = SandboxAdmin(url)
    yield HubSpotSandbox(url, admin, admin.client_id, admin.client_secret)
    if service is not None:
        service.stop()
