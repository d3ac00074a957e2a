"""Domain errors: every app subclasses `DomainError`; the API renders them in one format."""

from typing import Any

import kombu.exceptions
import redis.exceptions
from django.db import OperationalError


class DomainError(Exception):
    """A refusal a user can act on: carries a machine code, a message and details."""

    http_status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.extra = extra or {}


class NotFound(DomainError):
    http_status = 404
    code = "not_found"


class Conflict(DomainError):
    http_status = 409
    code = "conflict"


class TransientError(Exception):
    """A failure worth retrying later (a timeout, a 5xx, a dropped connection)."""


# Our own infrastructure not answering for a while (PostgreSQL restarting or out of connections,
# Redis restarting or paused): a task retries on these with backoff, as it does on a
# TransientError, rather than dropping its work.
INFRASTRUCTURE_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    kombu.exceptions.OperationalError,
)
