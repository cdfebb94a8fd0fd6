"""Fixtures shared by the sandboxes' own tests."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@pytest.fixture
def receiver():
    """A tiny HTTP server on a free port that keeps what it receives: ``(url, received)``.

    ``received.answer_with(503, 503)`` makes the next calls answer those statuses (then 200 again).
    """
    statuses: list[int] = []

    class Received(list):
        def answer_with(self, *codes: int) -> None:
            statuses.extend(codes)

    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"path": self.path, "headers": dict(self.headers), "body": body.decode()})
            self.send_response(statuses.pop(0) if statuses else 200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    yield url, received
    server.shutdown()
