from apps.common.exceptions import DomainError


class InvalidOrder(DomainError):
    """The order cannot be shipped as given; `extra["fields"]` maps field paths to messages."""

    http_status = 400
    code = "validation_error"


class NoRouteAvailable(DomainError):
    """No carrier service can take this order; `extra["exclusions"]` says why for each."""

    http_status = 422
    code = "no_route"


class RouteNotEligible(DomainError):
    """The merchant chose a carrier service that cannot take this order; `extra["reason"]` says
    why (the resource center's exclusion), `extra["fields"]["carrier_service"]` the same for forms."""

    http_status = 422
    code = "route_not_eligible"


class UnknownStrategy(DomainError):
    """The ranking strategy asked for is not one of `apps.resources.types.STRATEGIES`."""

    http_status = 400
    code = "validation_error"


class OrderNotReroutable(DomainError):
    """The order is past the point where its route can change (a carrier has the parcel, or it is
    closed), or not yet routed."""

    http_status = 409
    code = "order_not_reroutable"


class SavedItemNotFound(DomainError):
    """No such saved sender address or product of this merchant."""

    http_status = 404
    code = "not_found"
