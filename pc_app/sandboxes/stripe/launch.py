"""Starting the Stripe sandbox: its CLI, its child process, what a test sees of it, and the app settings."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..kit import RunningSandbox, SandboxHandle, argument_parser, serve, start_process
from .client import StripeAdmin
from .state import DEFAULT_SECRET_KEY, DEFAULT_WEBHOOK_SECRET, PLATFORM_ACCOUNT, StripeSettings

NAME = "stripe"
WEBHOOK_PATH = "/v1/payments/webhooks/stripe"
# Tests run the app in-process (Flask's test client): the sandbox records what it would send there.
TEST_WEBHOOK_URL = f"http://localhost{WEBHOOK_PATH}"


def main(argv=None) -> None:
    """``python -m pc_app.sandboxes stripe --port N``: serve the Stripe sandbox until stopped."""
    parser = argument_parser(NAME, "A Stripe stand-in: Connect accounts, PaymentIntents, destination charges, "
                                   "refunds, idempotency keys, events and signed webhooks.")
    parser.add_argument("--secret-key", default=DEFAULT_SECRET_KEY,
                        help="the only key it accepts (default: the one `make dev` gives the app)")
    parser.add_argument("--webhook-url", default="", help="an endpoint that receives every event")
    parser.add_argument("--webhook-secret", default=DEFAULT_WEBHOOK_SECRET,
                        help="the whsec_ secret signing deliveries to --webhook-url")
    parser.add_argument("--webhook-mode", choices=("send", "record"), default="send",
                        help="record: sign and keep deliveries to --webhook-url without sending them")
    args = parser.parse_args(argv)
    settings = StripeSettings(secret_key=args.secret_key, webhook_url=args.webhook_url,
                              webhook_secret=args.webhook_secret, webhook_mode=args.webhook_mode)
    from .app import create_sandbox_app

    serve(create_sandbox_app(settings, args.state_file or None), args.host, args.port, "Stripe sandbox")


def start(workdir: Path, port: int | None = None, *, secret_key: str = DEFAULT_SECRET_KEY,
          webhook_url: str = TEST_WEBHOOK_URL, webhook_secret: str = DEFAULT_WEBHOOK_SECRET,
          webhook_mode: str = "record", state_file: str = "") -> RunningSandbox:
    """The sandbox as a child process. The defaults suit tests: deliveries to the app's webhook route are
    recorded, to be replayed into Flask's test client (``StripeSandbox.deliver_webhooks``)."""
    options = {"secret_key": secret_key, "webhook_url": webhook_url, "webhook_secret": webhook_secret,
               "webhook_mode": webhook_mode}
    args = ["--secret-key", secret_key, "--webhook-secret", webhook_secret, "--webhook-mode", webhook_mode]
    if webhook_url:
        args += ["--webhook-url", webhook_url]
    if state_file:
        args += ["--state-file", state_file]
    return start_process(NAME, args, workdir, options, port)


def start_for_dev(state_dir: Path, api_base: str, port: int | None = None) -> RunningSandbox:
    """What ``pc-app dev`` runs: the default key, every event sent to the API's Stripe webhook route."""
    return start(state_dir, port, webhook_url=api_base + WEBHOOK_PATH, webhook_mode="send",
                 state_file=str(state_dir / "stripe-sandbox.json"))


def app_settings(base_url: str, options: dict) -> dict:
    """The app settings that point the payments plugin at this sandbox."""
    return {"STRIPE_API_BASE": base_url, "STRIPE_SECRET_KEY": options.get("secret_key") or DEFAULT_SECRET_KEY,
            "STRIPE_WEBHOOK_SECRET": options.get("webhook_secret") or DEFAULT_WEBHOOK_SECRET}


@dataclass
class StripeSandbox(SandboxHandle):
    """The running sandbox: ``client()`` for the SDK, ``admin`` to steer it, ``deliver_webhooks`` for the app."""

    admin: StripeAdmin

    @property
    def secret_key(self) -> str:
        return self.options.get("secret_key") or DEFAULT_SECRET_KEY

    @property
    def webhook_secret(self) -> str:
        return self.options.get("webhook_secret") or DEFAULT_WEBHOOK_SECRET

    @property
    def platform_account(self) -> str:
        return PLATFORM_ACCOUNT

    def client(self, api_key: str | None = None, **options):
        """A ``stripe.StripeClient`` pointed at the sandbox (no network retries unless asked)."""
        import stripe

        options.setdefault("max_network_retries", 0)
        return stripe.StripeClient(api_key or self.secret_key, base_addresses=sandbox_addresses(self.base_url),
                                   **options)

    def connected_account(self, onboarded: bool = True, **params) -> str:
        """A new Express account (onboarded: charges and payouts enabled); returns its id."""
        account = self.client().v1.accounts.create({"type": "express", **params})
        if onboarded:
            self.admin.complete_onboarding(account.id)
        return account.id

    def deliver_webhooks(self, test_client, order: str = "created") -> list:
        """Post every recorded, not yet delivered webhook (body and ``Stripe-Signature`` as the sandbox signed
        them) to the app through Flask's test client; returns ``[(event type, response)]``."""
        deliveries = self.admin.drain_recorded_webhooks()
        if order == "reversed":
            deliveries.reverse()
        answers = []
        for delivery in deliveries:
            response = test_client.post(urlsplit(delivery["url"]).path, data=delivery["body"].encode(),
                                        headers={"Stripe-Signature": delivery["headers"]["Stripe-Signature"],
                                                 "Content-Type": "application/json"})
            answers.append((delivery["type"], response))
        return answers


def sandbox_addresses(base_url: str) -> dict:
    """``base_addresses`` for ``stripe.StripeClient``: every Stripe host answered by the sandbox."""
    return {"api": base_url, "connect": base_url, "files": base_url}


def handle(base_url: str, options: dict) -> StripeSandbox:
    return StripeSandbox(NAME, base_url, StripeAdmin(base_url), dict(options), app_settings(base_url, options))
