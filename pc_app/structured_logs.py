"""One logging set-up for every process (API, worker, scheduler, CLI): JSON lines on stderr, secrets redacted.

Each line is one JSON object with ``time``, ``level``, ``logger`` and ``message``, plus the
request id inside a request (``requestId``, the value of the ``X-Request-ID`` header) or the
job id and job function inside an RQ job (``jobId``, ``jobFunc``), and the fields a caller
passes with ``extra=``. Every line goes through ``redaction.redact`` first.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import sys

from .redaction import redact, register_secret_values

# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is logged.
_STANDARD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime",
                                                                                    "taskName"}

# Libraries whose DEBUG output dumps whole wire messages (database documents, HTTP requests with
# tokens in their paths): they log at INFO at most, whatever LOG_LEVEL says.
WIRE_LOGGERS = ("pymongo", "urllib3", "hubspot", "stripe")


class RedactingFilter(logging.Filter):
    """Replaces the record's message by its redacted text (so every later handler sees it redacted too)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the line
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = redact(message), ()
        return True


def _job_context() -> dict:
    """The RQ job this process is running, if any: its id and the function it runs."""
    try:
        from rq import get_current_job

        job = get_current_job()
    except Exception:
        return {}
    if job is None:
        return {}
    from .jobs import JOB_TARGET

    func = job.func_name
    if func == JOB_TARGET and job.args:
        func = str(job.args[0])  # run_in_app's first argument is the real job function
    return {"jobId": job.id, "jobFunc": func}


def _request_context() -> dict:
    from flask import g, has_request_context

    if has_request_context():
        request_id = g.get("request_id")
        if request_id:
            return {"requestId": request_id}
    return {}


class JsonFormatter(logging.Formatter):
    """One JSON object per record, with the request or job it belongs to."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        line.update(_request_context())
        line.update(_job_context())
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_") and key not in line:
                line[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exception"] = redact(record.exc_text)
        if record.stack_info:
            line["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(line, default=str, ensure_ascii=False)


class CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of each record (test runners swap it)."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def _our_handler(logger: logging.Logger):
    return next((h for h in logger.handlers if getattr(h, "pc_structured", False)), None)


def parse_level(value) -> int:
    """``LOG_LEVEL`` as a logging level: a name (``debug``, ``INFO``) or a number. The config refuses an unknown
    name at start-up (``pc_app.config.LOG_LEVELS``); a caller that skipped it gets INFO."""
    if isinstance(value, int):
        return value
    level = logging.getLevelName(str(value or "INFO").strip().upper())
    return level if isinstance(level, int) else logging.INFO


def configure_logging(level="INFO", *, secrets=()) -> logging.Handler:
    """Send every logger's records to stderr as redacted JSON lines at ``level``; safe to call again.

    :param level: ``LOG_LEVEL`` (name or number).
    :param secrets: values of secret settings, replaced wherever they appear.
    :return: the handler (the one already installed, reconfigured, on a second call).
    """
    register_secret_values(secrets)
    root = logging.getLogger()
    handler = _our_handler(root)
    if handler is None:
        handler = CurrentStderrHandler()
        handler.pc_structured = True
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
        handler.setFormatter(JsonFormatter())
    numeric = parse_level(level)
    root.setLevel(numeric)
    for name in WIRE_LOGGERS:
        logging.getLogger(name).setLevel(max(numeric, logging.INFO))
    return handler


def secret_setting_values(config: dict, secret_names) -> list:
    """The values of the secret settings in ``config``, plus the passwords inside service URLs."""
    from urllib.parse import urlsplit

    values = [config.get(name) for name in secret_names]
    for name in ("MONGODB_URL", "REDIS_URL"):
        try:
            password = urlsplit(str(config.get(name) or "")).password
        except ValueError:
            password = None
        if password:
            values.append(password)
    return [value for value in values if value]
