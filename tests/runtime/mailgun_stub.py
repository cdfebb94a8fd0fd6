"""A local HTTP server answering like Mailgun's messages API, failing on demand."""
from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class MailgunStub:
    """Answers ``POST /v3/<domain>/messages``: the first ``failures`` calls get 503, then 200 with an id."""

    def __init__(self, failures: int = 0):
        self.failures = failures
        self.attempts: list[dict] = []
        self.delivered: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
                attempt = {"path": self.path, "authorized": self.headers.get("Authorization", "").startswith("Basic "),
                           "form": {k: v if len(v) > 1 else v[0] for k, v in form.items()}}
                stub.attempts.append(attempt)
                if len(stub.attempts) <= stub.failures:
                    self._answer(503, {"message": "Service Unavailable"})
                    return
                message_id = f"<{uuid.uuid4().hex}@mailgun.test>"
                stub.delivered.append({**attempt, "id": message_id})
                self._answer(200, {"id": message_id, "message": "Queued. Thank you."})

            def _answer(self, status, body):
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):  # keep test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
