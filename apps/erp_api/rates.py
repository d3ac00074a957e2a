"""POST /api/v1/rates/: the ranked routes for an order, before it is created.

The body is the create-order body (the same `OrderInput` rules) plus an optional `strategy`; a
`carrier_service` in it is accepted and ignored; a `warehouse` adds the routes from the merchant's
stock there (or anywhere, `any`), each naming its warehouse. Nothing is recorded: the answer is the quote intake
would route the order by, every eligible option best first and every excluded one with its reason.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from apps.erp_api.base import ErpApiView
from apps.erp_api.idempotency import idempotent
from apps.erp_api.serializers import OrderInput
from apps.resources.types import STRATEGIES, RouteOption, RoutingResult
from apps.shipping.services import order_rates


class RatesInput(OrderInput):
    """An order as POST /api/v1/orders/ takes it; `strategy` ranks the options."""


class TransitDaysOutput(serializers.Serializer):
    min = serializers.IntegerField()
    max = serializers.IntegerField()


class DeliveryWindowOutput(serializers.Serializer):
    earliest = serializers.DateField()
    latest = serializers.DateField()


class RateOptionOutput(serializers.Serializer):
    carrier = serializers.CharField()
    service = serializers.CharField()
    carrier_service = serializers.CharField(help_text="`carrier/service`: send it to POST /api/v1/orders/.")
    service_level = serializers.CharField()
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    transit_days = TransitDaysOutput()
    delivery_window = DeliveryWindowOutput(allow_null=True, help_text="Estimated delivery dates, when known.")
    score = serializers.FloatField(help_text="The option's score under the strategy; higher ranks first.")
    warehouse = serializers.CharField(allow_null=True, help_text="The warehouse that ships it; null for direct.")
    breakdown = serializers.DictField(help_text="How the price is made up.")


class RateExclusionOutput(serializers.Serializer):
    carrier = serializers.CharField(help_text="Empty when a whole warehouse is excluded (short of stock, say).")
    service = serializers.CharField()
    reason = serializers.CharField()
    warehouse = serializers.CharField(
        allow_null=True, help_text="The warehouse of a route from stock; null for direct."
    )


class RatesOutput(serializers.Serializer):
    strategy = serializers.ChoiceField(choices=STRATEGIES, help_text="The strategy the options are ranked by.")
    options = RateOptionOutput(many=True, help_text="Every route that can take the order, best first.")
    exclusions = RateExclusionOutput(many=True, help_text="Every route that cannot, and why.")


def _option(option: RouteOption) -> dict:
    window = None
    if option.delivery_earliest and option.delivery_latest:
        window = {"earliest": option.delivery_earliest, "latest": option.delivery_latest}
    return {
        "carrier": option.carrier_code,
        "service": option.service_code,
        "carrier_service": f"{option.carrier_code}/{option.service_code}",
        "service_level": option.service_level,
        "price": option.price,
        "currency": option.currency,
        "transit_days": {"min": option.transit_days_min, "max": option.transit_days_max},
        "delivery_window": window,
        "score": option.score,
        "warehouse": option.warehouse_code or None,
        "breakdown": option.breakdown,
    }


def rates_body(result: RoutingResult) -> dict:
    return RatesOutput(
        {
            "strategy": result.strategy,
            "options": [_option(o) for o in result.options],
            "exclusions": [
                {
                    "carrier": e.carrier_code,
                    "service": e.service_code,
                    "reason": e.reason,
                    "warehouse": e.warehouse_code or None,
                }
                for e in result.exclusions
            ],
        }
    ).data


class RatesApi(ErpApiView):
    """Every route for the order, ranked by the strategy (the merchant's default, else cheapest),
    and every excluded route with the reason. Nothing is recorded."""

    required_scopes = {"POST": "rates"}

    @extend_schema(
        operation_id="rates_quote",
        request=RatesInput,
        responses={200: RatesOutput},
        summary="Quote an order: ranked routes and exclusions",
    )
    @idempotent
    def post(self, request):
        payload = RatesInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.to_request()
        result = order_rates(
            merchant_id=request.auth.merchant_id, draft=data.draft, strategy=data.strategy, warehouse=data.warehouse
        )
        return Response(rates_body(result))
