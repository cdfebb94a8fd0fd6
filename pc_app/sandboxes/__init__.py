"""Stand-ins for third-party services: real HTTP servers for ``make dev`` and the tests.

Every stand-in is declared once, in ``SANDBOXES``; ``pc-app dev`` (``pc_app.devservices``) and the
test kit (``pc_app.testing``) go through this registry and name none of them. Each is built on
``pc_app.sandboxes.kit`` and runs with ``python -m pc_app.sandboxes <name> --port N``.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SandboxSpec:
    """One stand-in: its name, the variable that means "a real service is configured", and its launcher.

    The launcher module (``pc_app.sandboxes.<name>.launch``) offers ``main(argv)``, ``start(workdir,
    port)``, ``start_for_dev(state_dir, api_base, port)``, ``app_settings(base_url, options)`` and
    ``handle(base_url, options)``.
    """
    name: str
    label: str
    real_service_env: str

    @property
    def launcher(self):
        return importlib.import_module(f"{__name__}.{self.name}.launch")

    def main(self, argv) -> None:
        self.launcher.main(argv)

    def start(self, workdir: Path, port: int | None = None):
        """Started as a child process on a free port with its defaults; returns a ``RunningSandbox``."""
        return self.launcher.start(workdir, port)

    def start_for_dev(self, state_dir: Path, api_base: str, port: int | None = None):
        """Started the way ``pc-app dev`` wants it: data kept in ``state_dir``, webhooks sent to ``api_base``."""
        return self.launcher.start_for_dev(state_dir, api_base, port)

    def app_settings(self, service) -> dict:
        """The app settings that point the app at this running stand-in."""
        return self.launcher.app_settings(service.url, service.options)

    def handle(self, base_url: str, options: dict | None = None):
        """What a test sees of a stand-in at ``base_url`` (``.admin``, ``.app_settings``, ``.reset()``)."""
        return self.launcher.handle(base_url, options or {})


SANDBOXES: dict[str, SandboxSpec] = {
    "hubspot": SandboxSpec("hubspot", "HubSpot sandbox", "HUBSPOT_API_BASE"),
    "stripe": SandboxSpec("stripe", "Stripe sandbox", "STRIPE_API_BASE"),
}
