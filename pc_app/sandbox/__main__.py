"""``python -m pc_app.sandbox --port N``: serve the HubSpot sandbox on 127.0.0.1 until stopped."""
from __future__ import annotations

import argparse
import logging

from werkzeug.serving import make_server

from .app import create_sandbox_app
from .state import SandboxSettings


def main(argv=None) -> None:
    defaults = SandboxSettings()
    parser = argparse.ArgumentParser(prog="python -m pc_app.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--client-id", default=defaults.client_id)
    parser.add_argument("--client-secret", default=defaults.client_secret)
    parser.add_argument("--app-secret", default="", help="webhook signing secret (default: the client secret)")
    parser.add_argument("--webhook-url", default="", help="where user edits deliver HubSpot webhooks")
    parser.add_argument("--access-token-ttl", type=int, default=defaults.access_token_ttl)
    parser.add_argument("--rate-limit", type=int, default=defaults.rate_limit_max, help="calls per window per portal")
    parser.add_argument("--rate-window", type=float, default=defaults.rate_limit_window, help="seconds")
    args = parser.parse_args(argv)
    settings = SandboxSettings(client_id=args.client_id, client_secret=args.client_secret, app_secret=args.app_secret,
                               webhook_url=args.webhook_url, access_token_ttl=args.access_token_ttl,
                               rate_limit_max=args.rate_limit, rate_limit_window=args.rate_window)
    logging.basicConfig(level=logging.WARNING)
    server = make_server(args.host, args.port, create_sandbox_app(settings), threaded=True)
    print(f"HubSpot sandbox listening on http://{args.host}:{args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
