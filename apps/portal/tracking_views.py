"""The public tracking page: buyers follow a parcel without logging in."""

from django.shortcuts import render

from apps.common import ratelimit
from apps.fulfillment.selectors import buyer_tracking

# The same budget as the public tracking API: misses cost more, so guessing runs dry.
BUCKET_CAPACITY, REFILL_PER_SECOND, MISS_COST = 20, 0.2, 4


def track_view(request):
    tracking_number = request.GET.get("tracking_number", "").strip()
    number, postal_code = request.GET.get("order_number", "").strip(), request.GET.get("postal_code", "").strip()
    context = {"tracking_number": tracking_number, "order_number": number, "postal_code": postal_code}
    if not tracking_number and not (number and postal_code):
        return render(request, "portal/track.html", context)
    bucket = f"tracking:{ratelimit.client_address(request)}"
    verdict = ratelimit.take(bucket=bucket, capacity=BUCKET_CAPACITY, per_second=REFILL_PER_SECOND)
    if not verdict.allowed:
        response = render(request, "portal/track.html", {**context, "throttled": True}, status=429)
        response["Retry-After"] = str(max(1, int(verdict.retry_after_seconds + 0.999)))
        return response
    found = buyer_tracking(tracking_number=tracking_number, number=number, postal_code=postal_code)
    if found is None:
        ratelimit.take(bucket=bucket, capacity=BUCKET_CAPACITY, per_second=REFILL_PER_SECOND, cost=MISS_COST - 1)
    return render(
        request, "portal/track.html", {**context, "shipment": found, "searched": True}, status=200 if found else 404
    )
