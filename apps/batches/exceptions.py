from apps.common.exceptions import DomainError, TransientError


class BatchRefused(DomainError):
    """A batch that cannot be made as asked (no orders, too many)."""

    http_status = 400
    code = "batch_refused"


class BatchNotFound(DomainError):
    http_status = 404
    code = "not_found"


class BatchMovesWaiting(TransientError):
    """Orders of the batch to move are not on a lane yet (intake accepted them a moment ago and
    scheduling has not taken them): the worker tries again shortly."""
