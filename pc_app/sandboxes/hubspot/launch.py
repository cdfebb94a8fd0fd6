"""Starting the HubSpot sandbox: its CLI, its child process, what a test sees of it, and the app settings."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..kit import RunningSandbox, SandboxHandle, argument_parser, serve, start_process
from .client import HubSpotAdmin
from .state import HubSpotSettings

NAME = "hubspot"
DEV_WEBHOOK_PATH = "/v1/integrations/hubspot/webhooks"


def main(argv=None) -> None:
    """``python -m pc_app.sandboxes hubspot --port N``: serve the HubSpot sandbox until stopped."""
    defaults = HubSpotSettings()
    parser = argument_parser(NAME, "A HubSpot stand-in: OAuth, CRM deals and pipelines, signed webhooks.")
    parser.add_argument("--client-id", default=defaults.client_id)
    parser.add_argument("--client-secret", default=defaults.client_secret)
    parser.add_argument("--app-secret", default="", help="webhook signing secret (default: the client secret)")
    parser.add_argument("--webhook-url", default="", help="where user edits deliver HubSpot webhooks")
    parser.add_argument("--access-token-ttl", type=int, default=defaults.access_token_ttl)
    parser.add_argument("--rate-limit", type=int, default=defaults.rate_limit_max, help="calls per window per portal")
    parser.add_argument("--rate-window", type=float, default=defaults.rate_limit_window, help="seconds")
    args = parser.parse_args(argv)
    settings = HubSpotSettings(client_id=args.client_id, client_secret=args.client_secret, app_secret=args.app_secret,
                               webhook_url=args.webhook_url, access_token_ttl=args.access_token_ttl,
                               rate_limit_max=args.rate_limit, rate_limit_window=args.rate_window)
    from .app import create_sandbox_app

    serve(create_sandbox_app(settings, args.state_file or None), args.host, args.port, "HubSpot sandbox")


def start(workdir: Path, port: int | None = None, *, client_id: str = "", client_secret: str = "",
          app_secret: str = "", webhook_url: str = "", state_file: str = "") -> RunningSandbox:
    """The sandbox as a child process on a free loopback port (stopped at exit like the other services)."""
    defaults = HubSpotSettings()
    options = {"client_id": client_id or defaults.client_id, "client_secret": client_secret or defaults.client_secret,
               "app_secret": app_secret}
    args = ["--client-id", options["client_id"], "--client-secret", options["client_secret"]]
    for flag, value in (("--app-secret", app_secret), ("--webhook-url", webhook_url), ("--state-file", state_file)):
        if value:
            args += [flag, value]
    return start_process(NAME, args, workdir, options, port)


def app_settings(base_url: str, options: dict) -> dict:
    """The app settings that point the hubspot plugin at this sandbox."""
    defaults = HubSpotSettings()
    client_secret = options.get("client_secret") or defaults.client_secret
    return {"HUBSPOT_API_BASE": base_url, "HUBSPOT_AUTHORIZE_URL": f"{base_url}/oauth/authorize",
            "HUBSPOT_CLIENT_ID": options.get("client_id") or defaults.client_id,
            "HUBSPOT_CLIENT_SECRET": client_secret,
            "HUBSPOT_APP_SECRET": options.get("app_secret") or client_secret}


def start_for_dev(state_dir: Path, api_base: str, port: int | None = None) -> RunningSandbox:
    """What ``pc-app dev`` runs: credentials from the environment (or the defaults), webhooks to the API."""
    return start(state_dir, port, client_id=os.environ.get("HUBSPOT_CLIENT_ID", ""),
                 client_secret=os.environ.get("HUBSPOT_CLIENT_SECRET", ""),
                 app_secret=os.environ.get("HUBSPOT_APP_SECRET", ""), webhook_url=api_base + DEV_WEBHOOK_PATH,
                 state_file=str(state_dir / "hubspot-sandbox.json"))


@dataclass
class HubSpotSandbox(SandboxHandle):
    """The running sandbox: ``base_url`` for the SDK's ``host``, ``admin`` to steer it."""

    admin: HubSpotAdmin

    @property
    def client_id(self) -> str:
        return self.admin.client_id

    @property
    def client_secret(self) -> str:
        return self.admin.client_secret

    @property
    def authorize_url(self) -> str:
        return f"{self.base_url}/oauth/authorize"

    def deliver_webhooks(self, test_client) -> list:
        """Post every recorded, not yet delivered webhook (``webhookDelivery: record``) to the app through
        Flask's test client, with the body and v3 signature the sandbox made; returns the responses."""
        answers = []
        for delivery in self.admin.drain_recorded_webhooks():
            headers = {k: v for k, v in delivery["headers"].items() if k.lower().startswith("x-hubspot")}
            answers.append(test_client.post(urlsplit(delivery["url"]).path, data=delivery["body"].encode(),
                                            headers=headers, content_type="application/json"))
        return answers


def handle(base_url: str, options: dict) -> HubSpotSandbox:
    defaults = HubSpotSettings()
    admin = HubSpotAdmin(base_url, options.get("client_id") or defaults.client_id,
                         options.get("client_secret") or defaults.client_secret)
    return HubSpotSandbox(NAME, base_url, admin, dict(options), app_settings(base_url, options))
