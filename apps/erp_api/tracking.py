"""The public tracking endpoint for buyers: no key, rate limited per client address."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, Throttled, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.common import ratelimit
from apps.erp_api.base import JsonAnswers, refuse_unknown_query_parameters
from apps.erp_api.schema import ErrorOutput
from apps.fulfillment.selectors import buyer_tracking

# A buyer checks a parcel a few times; someone walking through numbers misses a lot. Misses
# cost more, so guessing runs dry long before it finds anything.
BUCKET_CAPACITY, REFILL_PER_SECOND, MISS_COST = 20, 0.2, 4


def check_rate(request, *, cost: float = 1) -> None:
    verdict = ratelimit.take(
        bucket=f"tracking:{ratelimit.client_address(request)}",
        capacity=BUCKET_CAPACITY,
        per_second=REFILL_PER_SECOND,
        cost=cost,
    )
    if not verdict.allowed:
        raise Throttled(wait=verdict.retry_after_seconds)


class TimelineEntryOutput(serializers.Serializer):
    occurred_at = serializers.DateTimeField()
    label = serializers.CharField(source="headline")
    location = serializers.CharField()


class BuyerTrackingOutput(serializers.Serializer):
    number = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    carrier = serializers.CharField(source="carrier_code")
    tracking_number = serializers.CharField()
    origin_country = serializers.CharField()
    destination_city = serializers.CharField()
    destination_country = serializers.CharField()
    timeline = TimelineEntryOutput(many=True)
    merchant = serializers.CharField(source="merchant_name", help_text="The shop that sent the parcel.")
    last_mile_carrier = serializers.CharField(
        source="last_mile_carrier_code",
        help_text="Once a line haul's last mile has the parcel: its carrier, else empty.",
    )
    last_mile_tracking_number = serializers.CharField(help_text="And its tracking number, else empty.")
    estimated_delivery_earliest = serializers.DateField(
        allow_null=True, help_text="Booking day plus the route's fewest transit days; null once delivered or unknown."
    )
    estimated_delivery_latest = serializers.DateField(allow_null=True, help_text="Booking day plus the most.")


class TrackingApi(APIView):
    """`?tracking_number=...`, or `?order_number=...&postal_code=...`."""

    authentication_classes = []
    permission_classes = [AllowAny]
    content_negotiation_class = JsonAnswers

    class QuerySerializer(serializers.Serializer):
        # No `default=""`: a given value may not be empty, and the schema must not offer "" as the
        # default of a parameter whose minimum length is 1 (validators refuse that schema).
        tracking_number = serializers.CharField(max_length=64, required=False)
        order_number = serializers.CharField(max_length=32, required=False)
        postal_code = serializers.CharField(max_length=20, required=False)

        def validate(self, attrs):
            attrs = {name: attrs.get(name, "") for name in ("tracking_number", "order_number", "postal_code")}
            if not attrs["tracking_number"] and not (attrs["order_number"] and attrs["postal_code"]):
                raise ValidationError("Give a tracking_number, or an order_number with the postal_code.")
            return attrs

    @extend_schema(
        operation_id="tracking_retrieve",
        parameters=[QuerySerializer],
        responses={200: BuyerTrackingOutput, 404: OpenApiResponse(ErrorOutput, description="No shipment matches")},
        summary="Track a parcel as its buyer (no key)",
    )
    def get(self, request):
        check_rate(request)
        refuse_unknown_query_parameters(request, frozenset(self.QuerySerializer().fields))
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = buyer_tracking(
            tracking_number=query.validated_data["tracking_number"],
            number=query.validated_data["order_number"],
            postal_code=query.validated_data["postal_code"],
        )
        if found is None:
            check_rate(request, cost=MISS_COST - 1)
            raise NotFound("No shipment matches.")
        return Response(BuyerTrackingOutput(found).data)
