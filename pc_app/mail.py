"""Outgoing mail: templates rendered in the request, delivery in a ``mail`` job with retries.

``MailgunMailer`` talks to Mailgun's HTTP API; ``OutboxMailer`` keeps messages in the
database for development and tests (readable at ``/dev/outbox``).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import requests
from flask import current_app
from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape
from mongoengine import DictField, StringField

from .db import BaseDocument, DateTimeField, ValueListField, iso_utc, utcnow

log = logging.getLogger("pc_app.mail")


class MailError(RuntimeError):
    """Delivery failed; the job retries it later."""


@dataclass
class MailMessage:
    to: str
    subject: str
    text: str
    html: str = ""
    tags: list[str] = field(default_factory=list)
    # Extra MIME headers, e.g. List-Unsubscribe (RFC 2369) and List-Unsubscribe-Post (RFC 8058).
    headers: dict[str, str] = field(default_factory=dict)


class OutboxMessage(BaseDocument):
    """A message 'sent' by the OutboxMailer, kept for developers and tests."""
    meta = {"collection": "mail_outbox", "indexes": ["-sent_at", "to"]}

    to = StringField(required=True)
    subject = StringField(required=True)
    text = StringField(default="")
    html = StringField(default="")
    tags = ValueListField(StringField(), default=list)
    headers = DictField(default=dict)
    sent_at = DateTimeField(default=utcnow)

    def as_dict(self) -> dict:
        return {"id": str(self.id), "to": self.to, "subject": self.subject, "text": self.text,
                "html": self.html, "tags": list(self.tags), "headers": dict(self.headers or {}),
                "sentAt": iso_utc(self.sent_at)}


class Mailer:
    """Sends one message; returns the provider's message id."""

    def send(self, message: MailMessage) -> str:
        raise NotImplementedError


class OutboxMailer(Mailer):
    def send(self, message: MailMessage) -> str:
        doc = OutboxMessage(to=message.to, subject=message.subject, text=message.text, html=message.html,
                            tags=message.tags, headers=dict(message.headers)).save()
        return str(doc.id)


class MailgunMailer(Mailer):
    def __init__(self, api_key: str, domain: str, sender: str, api_base: str = "https://api.mailgun.net",
                 timeout: float = 10.0):
        self.api_key, self.domain, self.sender = api_key, domain, sender
        self.api_base, self.timeout = api_base.rstrip("/"), timeout

    def send(self, message: MailMessage) -> str:
        data = [("from", self.sender), ("to", message.to), ("subject", message.subject), ("text", message.text)]
        if message.html:
            data.append(("html", message.html))
        data.extend(("o:tag", tag) for tag in message.tags)
        data.extend((f"h:{name}", value) for name, value in message.headers.items())
        try:
            response = requests.post(f"{self.api_base}/v3/{self.domain}/messages", auth=("api", self.api_key),
                                     data=data, timeout=self.timeout)
        except requests.RequestException as exc:
            raise MailError(f"Mailgun could not be reached: {type(exc).__name__}") from None
        if response.status_code == 401:
            raise MailError("Mailgun refused the API key (401).")
        if response.status_code >= 400:
            raise MailError(f"Mailgun answered {response.status_code}: {self._explanation(response)}")
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise MailError(f"Mailgun answered {response.status_code} with a body that is not a JSON object.")
        return str(body.get("id", ""))

    def _explanation(self, response) -> str:
        """Mailgun's own message (JSON ``message``, else the text), never echoing our API key."""
        try:
            body = response.json()
        except ValueError:
            body = None
        text = str(body.get("message") or response.text) if isinstance(body, dict) else response.text
        return " ".join(text.replace(self.api_key, "***").split())[:200] or "no explanation given"


def mailer_for(config: dict) -> Mailer:
    if config["MAIL_BACKEND"] == "mailgun":
        return MailgunMailer(config["MAILGUN_API_KEY"], config["MAILGUN_DOMAIN"], config["MAIL_FROM"],
                             config["MAILGUN_API_BASE"])
    return OutboxMailer()


def _environment(package: str) -> Environment:
    cache = current_app.extensions.setdefault("pc_mail_envs", {})
    if package not in cache:
        cache[package] = Environment(
            loader=ChoiceLoader([PackageLoader(package, "templates"), PackageLoader("pc_app", "templates")]),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return cache[package]


def render_mail(package: str, name: str, context: dict) -> tuple[str, str, str]:
    """Render ``templates/mail/<name>.{subject.txt,txt,html}`` of a package: subject, text, html."""
    env = _environment(package)
    ctx = {"frontend_url": current_app.config["FRONTEND_URL"], **context}
    subject = env.get_template(f"mail/{name}.subject.txt").render(ctx).strip()
    text = env.get_template(f"mail/{name}.txt").render(ctx)
    html = env.get_template(f"mail/{name}.html").render(ctx)
    return subject, text, html


def send_mail(to: str, package: str, name: str, context: dict, tags=(), headers: dict | None = None) -> None:
    """Render now, deliver in the background (a Mailgun outage delays mail, loses none).

    :param headers: extra MIME headers (``List-Unsubscribe``...), passed to Mailgun as ``h:`` fields.
    """
    from .jobs import enqueue

    subject, text, html = render_mail(package, name, context)
    extra = {"headers": dict(headers)} if headers else {}
    # result_ttl=0: once delivered, the job (whose arguments hold any single-use link) leaves Redis.
    enqueue(deliver_mail, to, subject, text, html, list(tags) or [name], queue="mail",
            retries=5, retry_intervals=(10, 30, 120, 600, 1800), result_ttl=0, **extra)


def deliver_mail(to: str, subject: str, text: str, html: str, tags: list[str], headers: dict | None = None) -> str:
    """Job: hand one rendered message to the configured mailer."""
    message = MailMessage(to, subject, text, html, tags, dict(headers or {}))
    message_id = mailer_for(current_app.config).send(message)
    log.info("mail delivered tags=%s id=%s", ",".join(tags), message_id)
    return message_id
