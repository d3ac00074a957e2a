from apps.common.exceptions import DomainError


class UnreadableFile(DomainError):
    """The upload is not a spreadsheet we can read (or too large); the message says what to do."""

    http_status = 400
    code = "unreadable_file"

    def __init__(self, message: str, **kwargs):
        super().__init__(message, **kwargs)


class ImportNotAllowed(DomainError):
    """The import is not in a state that allows this (checked already, running, done), or it has
    invalid rows and all-or-nothing was asked."""

    http_status = 409
    code = "import_not_allowed"


class ImportNotFound(DomainError):
    http_status = 404
    code = "not_found"
