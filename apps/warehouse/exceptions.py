"""Refusals of the warehouse center."""

from apps.common.exceptions import Conflict, DomainError, NotFound, TransientError


class OutOfStock(Conflict):
    """Not enough available stock for some SKUs; `extra["short"]` says how many of each are missing."""

    code = "out_of_stock"


class WarehouseOrderNotFound(NotFound):
    code = "warehouse_order_not_found"


class WarehouseOrderNotCancellable(Conflict):
    """The WMS has started picking (or the order is closed): it can no longer be called back."""

    code = "not_cancellable"


class WarehouseOrderNotHoldable(Conflict):
    code = "not_holdable"


class InvalidWarehouseOrder(DomainError):
    code = "invalid_warehouse_order"


class AsnNotFound(NotFound):
    code = "asn_not_found"


class InvalidAsn(DomainError):
    code = "invalid_asn"


class DriftAlreadyDecided(Conflict):
    code = "drift_already_decided"


class WarehouseCallDeferred(TransientError):
    """The call must wait (a submit to the WMS may still be on its way): try again in `retry_in` s."""

    def __init__(self, message: str, *, retry_in: float) -> None:
        super().__init__(message)
        self.retry_in = retry_in
