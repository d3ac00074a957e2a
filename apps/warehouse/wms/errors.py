"""What can go wrong talking to a WMS, classified the way the callers must react."""


class WmsError(Exception):
    pass


class WmsUnavailable(WmsError):
    """Timeout, 5xx, connection refused: retry later (the breaker counts it).

    `may_have_arrived` is False only when the request never reached the WMS (no connection):
    after anything else a create may have happened, and must be looked up before it is repeated.
    """

    def __init__(self, message: str, *, may_have_arrived: bool = True) -> None:
        super().__init__(message)
        self.may_have_arrived = may_have_arrived


class WmsRefused(WmsError):
    """A 4xx with a reason: permanent for this call."""

    def __init__(self, reason: str, *, status_code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code


class InvalidWmsWebhook(WmsError):
    """A webhook with a bad signature, a stale timestamp, or a body that cannot be read."""
