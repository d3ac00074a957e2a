"""The public tracking page: buyers follow a parcel without logging in."""

from django import forms
from django.shortcuts import render

from apps.common import ratelimit
from apps.common.text import refuse_control_characters
from apps.fulfillment.selectors import buyer_tracking
from apps.orders.models import Order

# The same budget as the public tracking API: misses cost more, so guessing runs dry.
BUCKET_CAPACITY, REFILL_PER_SECOND, MISS_COST = 20, 0.2, 4


class TrackForm(forms.Form):
    """The same limits as the public tracking API's query: what a column could never hold (or
    PostgreSQL would refuse, such as NUL) is an error beside the field, not a lookup."""

    tracking_number = forms.CharField(
        max_length=Order._meta.get_field("tracking_number").max_length,
        required=False,
        validators=[refuse_control_characters],
    )
    order_number = forms.CharField(max_length=32, required=False, validators=[refuse_control_characters])
    postal_code = forms.CharField(
        max_length=Order._meta.get_field("recipient_postal_code").max_length,
        required=False,
        validators=[refuse_control_characters],
    )


def track_view(request):
    form = TrackForm(request.GET)
    context = {
        "form": form,
        "tracking_number": request.GET.get("tracking_number", "").strip(),
        "order_number": request.GET.get("order_number", "").strip(),
        "postal_code": request.GET.get("postal_code", "").strip(),
    }
    if not form.is_valid():
        return render(request, "portal/track.html", context, status=400)
    tracking_number, number, postal_code = (
        form.cleaned_data["tracking_number"],
        form.cleaned_data["order_number"],
        form.cleaned_data["postal_code"],
    )
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
