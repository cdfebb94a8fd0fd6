"""Run a stand-in: serve it in this process (its CLI), or start it as a child process on a free port."""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from werkzeug.serving import make_server

from ... import devstack


class RefusedInProduction(SystemExit):
    """Stand-ins are development and test tools: they never run with ``PC_ENV=production``."""


def refuse_in_production() -> None:
    if os.environ.get("PC_ENV") == "production":
        raise RefusedInProduction("Sandboxes are development and test tools; they do not run with PC_ENV=production.")


def argument_parser(name: str, description: str) -> argparse.ArgumentParser:
    """The options every stand-in's CLI has: ``--host``, ``--port``, ``--state-file``."""
    parser = argparse.ArgumentParser(prog=f"python -m pc_app.sandboxes {name}", description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state-file", default="",
                        help="keep the data in this JSON file across restarts (default: in memory only)")
    return parser


def serve(app, host: str, port: int, banner: str) -> None:
    """Serve ``app`` (threaded) until interrupted."""
    refuse_in_production()
    logging.basicConfig(level=logging.WARNING)
    server = make_server(host, port, app, threaded=True)
    print(f"{banner} listening on http://{host}:{port} (admin: http://{host}:{port}/_sandbox)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


@dataclass
class RunningSandbox:
    """A stand-in started as a child process, with the options it was started with."""
    name: str
    url: str
    options: dict = field(default_factory=dict)
    service: devstack.RunningService | None = None

    @property
    def admin_url(self) -> str:
        return f"{self.url}/_sandbox"

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()


def start_process(name: str, args: list[str], workdir: Path, options: dict, port: int | None = None,
                  timeout: float = 20.0) -> RunningSandbox:
    """``python -m pc_app.sandboxes <name> --port N <args>`` on a free loopback port, ready when this returns."""
    refuse_in_production()
    port = port or devstack.free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "pc_app.sandboxes", name, "--port", str(port), *args]
    service = devstack._spawn(f"{name}-sandbox", cmd, port, workdir, url, timeout=timeout)
    _wait_until_healthy(url, service, timeout)
    return RunningSandbox(name, url, dict(options), service)


def _wait_until_healthy(url: str, service: devstack.RunningService, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/_sandbox/health", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        if service.process.poll() is not None:
            break
        time.sleep(0.05)
    service.stop()
    raise devstack.ServiceStartError(f"{service.name} did not answer {url}/_sandbox/health; see {service.log_path}")
