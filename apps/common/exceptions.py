"""Domain errors: every app subclasses `DomainError`; the API renders them in one format."""

from typing import Any


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
