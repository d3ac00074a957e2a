from apps.common.exceptions import Conflict, DomainError, NotFound


class OrderNotFound(NotFound):
    code = "order_not_found"


class DuplicateReference(Conflict):
    code = "duplicate_reference"


class OrderStateConflict(Conflict):
    """The order is not in a state that allows this, or another change got there first."""

    code = "order_state_conflict"


class OrderNotCancellable(DomainError):
    http_status = 409
    code = "order_not_cancellable"


class OrderArchived(Conflict):
    """The order was closed long ago and moved to the archive: it can be read, not changed."""

    code = "order_archived"
