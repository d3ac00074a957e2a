from apps.common.exceptions import Conflict, DomainError


class IdempotencyKeyReused(DomainError):
    """The key was first used for a different request (method, path or body)."""

    http_status = 422
    code = "idempotency_key_reused"


class IdempotencyKeyInUse(Conflict):
    """The key's first request is still running."""

    code = "idempotency_key_in_use"
