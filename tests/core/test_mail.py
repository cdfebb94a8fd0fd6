"""MailgunMailer against a local HTTP server that checks what Mailgun would receive."""
import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from pc_app.devstack import free_port
from pc_app.mail import MailError, MailgunMailer, MailMessage

API_KEY = "key-0123456789abcdef-secret"
DOMAIN = "mg.example.test"


class FakeMailgun:
    """Records each request; answers with ``status`` (200 with a Mailgun-like body by default)."""

    def __init__(self):
        self.requests = []
        self.status = 200
        self.body = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                fake.requests.append({"path": self.path, "headers": dict(self.headers),
                                      "form": parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)})
                body = fake.body if fake.body is not None else json.dumps(
                    {"id": "<20260101.1@mg.example.test>", "message": "Queued. Thank you."})
                self.send_response(fake.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def mailgun():
    server = FakeMailgun()
    yield server
    server.close()


def _mailer(api_base):
    return MailgunMailer(API_KEY, DOMAIN, "Partner Connector <no-reply@mg.example.test>", api_base, timeout=2)


MESSAGE = MailMessage(to="ada@example.com", subject="Welcome", text="Hello Ada", html="<p>Hello Ada</p>",
                      tags=["invitation", "core"])


def test_mailgun_receives_the_message_as_its_api_expects(mailgun):
    message_id = _mailer(mailgun.url).send(MESSAGE)
    assert message_id == "<20260101.1@mg.example.test>"
    [request] = mailgun.requests
    assert request["path"] == f"/v3/{DOMAIN}/messages"
    assert request["headers"]["Authorization"] == "Basic " + base64.b64encode(f"api:{API_KEY}".encode()).decode()
    assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert request["form"] == {"from": ["Partner Connector <no-reply@mg.example.test>"], "to": ["ada@example.com"],
                               "subject": ["Welcome"], "text": ["Hello Ada"], "html": ["<p>Hello Ada</p>"],
                               "o:tag": ["invitation", "core"]}


def test_text_only_message_sends_no_html_part(mailgun):
    _mailer(mailgun.url).send(MailMessage(to="a@example.com", subject="S", text="T"))
    assert "html" not in mailgun.requests[0]["form"]


def test_refused_api_key_is_a_clear_error_without_the_key(mailgun):
    mailgun.status, mailgun.body = 401, "Forbidden"
    with pytest.raises(MailError) as refused:
        _mailer(mailgun.url).send(MESSAGE)
    assert "401" in str(refused.value) and "API key" in str(refused.value)
    assert API_KEY not in str(refused.value)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_error_is_a_clear_error_without_the_key(mailgun, status):
    mailgun.status, mailgun.body = status, json.dumps({"message": f"upstream broke, you sent {API_KEY}"})
    with pytest.raises(MailError) as failed:
        _mailer(mailgun.url).send(MESSAGE)
    assert str(status) in str(failed.value)
    assert API_KEY not in str(failed.value)


def test_rejected_message_says_what_mailgun_said(mailgun):
    mailgun.status, mailgun.body = 400, json.dumps({"message": "'to' parameter is not a valid address."})
    with pytest.raises(MailError, match="not a valid address"):
        _mailer(mailgun.url).send(MESSAGE)


def test_unreachable_mailgun_is_a_clear_error_without_the_key():
    with pytest.raises(MailError) as failed:
        _mailer(f"http://127.0.0.1:{free_port()}").send(MESSAGE)
    assert "could not be reached" in str(failed.value)
    assert API_KEY not in str(failed.value) and "api:" not in str(failed.value)


def test_mail_backend_setting_chooses_the_mailer():
    from pc_app.mail import OutboxMailer, mailer_for

    config = {"MAIL_BACKEND": "mailgun", "MAILGUN_API_KEY": API_KEY, "MAILGUN_DOMAIN": DOMAIN,
              "MAIL_FROM": "x <x@example.test>", "MAILGUN_API_BASE": "https://api.eu.mailgun.net/"}
    mailer = mailer_for(config)
    assert isinstance(mailer, MailgunMailer) and mailer.api_base == "https://api.eu.mailgun.net"
    assert isinstance(mailer_for({**config, "MAIL_BACKEND": "outbox"}), OutboxMailer)


def test_mail_templates_render_text_and_html_with_escaping(app_ctx):
    from pc_app.mail import render_mail

    subject, text, html = render_mail("pc_app", "invitation", {"name": "<Ada>", "link": "http://x.test/?a=1&b=2",
                                                               "inviter": "Bob", "hours": 72})
    assert subject and "\n" not in subject
    assert "<Ada>" in text and "http://x.test/?a=1&b=2" in text
    assert "&lt;Ada&gt;" in html and "<Ada>" not in html
