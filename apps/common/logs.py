"""Logs for machines: the request id that follows an order, JSON lines, and redaction.

A request id is taken from a valid incoming `X-Request-ID` or made up
(`apps.common.middleware.RequestContextMiddleware`), kept in a context variable with the id of
the order the work is about, written into the outbox events recorded meanwhile
(`OutboxEvent.request_id`), carried to Celery as message headers by the relay and restored
around each task (`apps.common.tasks`), and sent to carriers as `X-Request-ID`
(`apps.distribution.gateways`). `ContextFilter` puts both ids on every log record, so every line
about an order carries them, whichever process writes it.

Personal data is never logged in the first place (log ids, never names, addresses, phones or
emails); `redact()` is the safety net for secrets that slip into a message or a traceback:
bearer tokens, API keys, webhook secrets, passwords and secret-looking query parameters.
"""

import json
import logging
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import UTC, datetime

REQUEST_ID_HEADER = "X-Request-ID"
# What we accept from a client or a proxy: short, printable, nothing a log reader could mistake
# for structure. Anything else is replaced by an id of our own.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}")

_context: ContextVar[dict[str, str]] = ContextVar("log_context", default={})  # noqa: B039 (never mutated)


def valid_request_id(value: object) -> str | None:
    """`value` if it may serve as a request id, else None."""
    if isinstance(value, str) and _VALID_REQUEST_ID.fullmatch(value):
        return value
    return None


def new_request_id() -> str:
    return secrets.token_hex(16)


def current() -> dict[str, str]:
    """The fields every log line written now carries (request_id, order_id), as far as known."""
    return _context.get()


def current_request_id() -> str:
    return _context.get().get("request_id", "")


def bind(**fields: object) -> Token:
    """Add fields to the context (None and "" leave a field as it was); undo with `reset(token)`."""
    merged = dict(_context.get())
    merged.update({name: str(value) for name, value in fields.items() if value not in (None, "")})
    return _context.set(merged)


def replace(**fields: object) -> Token:
    """Start a fresh context (a task, a request): nothing of the previous work leaks into it."""
    return _context.set({name: str(value) for name, value in fields.items() if value not in (None, "")})


def reset(token: Token) -> None:
    _context.reset(token)


@contextmanager
def bound(**fields: object) -> Iterator[None]:
    token = bind(**fields)
    try:
        yield
    finally:
        _context.reset(token)


# ---------------------------------------------------------------------------------------------
# Redaction: a safety net, not a licence to log secrets.

_REDACTIONS = [
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=:-]+"), r"\1 [redacted]"),
    (re.compile(r"\blgk_[A-Za-z0-9_-]+"), "lgk_[redacted]"),
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=_-]+"), "whsec_[redacted]"),
    (
        re.compile(
            r"(?i)([\"']?\b(?:password|passwd|secret|api[_-]?key|token|authorization|signature|sig|pepper)"
            r"[\"']?\s*[=:]\s*[\"']?)([^\s\"'&,;}]+)"
        ),
        r"\1[redacted]",
    ),
]


def redact(text: str) -> str:
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class ContextFilter(logging.Filter):
    """Puts the context's request_id and order_id on every record (empty when unknown), for the
    formatters; attached to the handlers, so that records of every logger get them."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = _context.get()
        if not getattr(record, "request_id", ""):
            record.request_id = fields.get("request_id", "")
        if not getattr(record, "order_id", ""):
            record.order_id = fields.get("order_id", "")
        return True


class PlainFormatter(logging.Formatter):
    """One readable line for development: time, level, logger, [request id order id], message."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(ids)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        ids = " ".join(filter(None, (getattr(record, "request_id", ""), getattr(record, "order_id", ""))))
        record.ids = f" [{ids}]" if ids else ""
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, order_id, process,
    and the traceback when there is one. Only these fields: `extra` of a call is not copied, so
    nothing reaches the log that the message does not say."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", ""),
            "order_id": getattr(record, "order_id", ""),
            "process": record.process,
        }
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exception"] = redact(record.exc_text)
        return json.dumps(line, ensure_ascii=False, default=str)


def logging_config(*, log_format: str, level: str) -> dict:
    """Django's LOGGING for `LOG_FORMAT` (`json` or `plain`)."""
    if log_format not in ("json", "plain"):
        raise ValueError(f"LOG_FORMAT must be json or plain, not {log_format!r}")
    formatter = "apps.common.logs.JsonFormatter" if log_format == "json" else "apps.common.logs.PlainFormatter"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "apps.common.logs.ContextFilter"}},
        "formatters": {"line": {"()": formatter}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "line", "filters": ["context"]}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # httpcore's debug lines repeat each carrier call in pieces; httpx's one line says it.
            "httpcore": {"level": "WARNING"},
        },
    }
