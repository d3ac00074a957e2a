from apps.common.exceptions import DomainError


class BatchRefused(DomainError):
    """A batch that cannot be made as asked (no orders, too many)."""

    http_status = 400
    code = "batch_refused"


class BatchNotFound(DomainError):
    http_status = 404
    code = "not_found"
