from apps.common.exceptions import DomainError


class InvalidOrder(DomainError):
    """The order cannot be shipped as given; `extra["fields"]` maps field paths to messages."""

    http_status = 400
    code = "validation_error"


class NoRouteAvailable(DomainError):
    """No carrier service can take this order; `extra["exclusions"]` says why for each."""

    http_status = 422
    code = "no_route"
