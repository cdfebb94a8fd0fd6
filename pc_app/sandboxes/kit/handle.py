"""``SandboxHandle``: what a test sees of a running stand-in (its URL, admin client and the app settings)."""
from __future__ import annotations

from dataclasses import dataclass, field

from .client import AdminClient


@dataclass
class SandboxHandle:
    """A running stand-in: ``base_url``, ``admin`` to steer it, ``app_settings`` to merge into ``app_config``."""
    name: str
    base_url: str
    admin: AdminClient
    options: dict = field(default_factory=dict)
    app_settings: dict = field(default_factory=dict)

    def reset(self) -> None:
        """Blank state for the next test (data, faults, calls, deliveries; settings as at start)."""
        self.admin.reset()
