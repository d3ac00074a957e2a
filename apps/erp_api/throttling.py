"""Per-key rate limit: a token bucket in Redis per API key (apps/common/ratelimit.py).

Every key gets `API_RATE_LIMIT_BURST` requests at once and `API_RATE_LIMIT_PER_SECOND` after
that; past it the API answers 429 with `Retry-After`. The bucket lives in Redis, so it holds
across web processes and under concurrent requests (one Lua script refills and takes).
A view may charge a request more than one token (`rate_cost(request)`): a bulk costs one per
order, so batching does not multiply the rate.
"""

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from apps.common import ratelimit
from apps.merchants.services import ApiPrincipal


class ApiKeyRateThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        principal = request.auth
        if not isinstance(principal, ApiPrincipal):
            return True  # public endpoints limit themselves (see tracking.py)
        cost = view.rate_cost(request) if hasattr(view, "rate_cost") else 1
        verdict = ratelimit.take(
            bucket=f"api-key:{principal.key_id}",
            capacity=settings.API_RATE_LIMIT_BURST,
            per_second=settings.API_RATE_LIMIT_PER_SECOND,
            cost=cost,
        )
        self._wait = verdict.retry_after_seconds
        return verdict.allowed

    def wait(self) -> float:
        return self._wait
