"""A local HTTP receiver for webhook tests: answers from a script and keeps every request it got."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


class Receiver:
    """``Receiver([500, 200])`` answers 500 then 200 (then the last status again)."""

    def __init__(self, statuses=(200,)):
        self.statuses = list(statuses)
        self.requests: list[Received] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner.requests.append(Received(self.path, {k: v for k, v in self.headers.items()}, body))
                status = owner.statuses.pop(0) if len(owner.statuses) > 1 else owner.statuses[0]
                payload = f'{{"received": {len(owner.requests)}}}'.encode()
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/pc"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
