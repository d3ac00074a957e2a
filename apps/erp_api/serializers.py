"""Request and response shapes of the orders endpoints."""

from decimal import Decimal

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.erp_api.fast_input import CARRIER_SERVICE, OrderRequest, chosen_route
from apps.erp_api.schema import ErrorOutput
from apps.fulfillment.selectors import TimelineKind
from apps.orders.types import AddressDraft, ItemDraft, OrderDraft, ParcelDraft
from apps.resources.types import STRATEGIES
from apps.shipping.validation import MAX_ITEM_QUANTITY, MAX_ITEMS_PER_PARCEL, MAX_PARCELS_PER_ORDER


class AddressInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    company = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    city = serializers.CharField(max_length=100)
    state = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)
    postal_code = serializers.CharField(max_length=20)
    country = serializers.CharField(min_length=2, max_length=2)
    phone = serializers.CharField(max_length=30, required=False, default="", allow_blank=True)
    email = serializers.EmailField(max_length=254, required=False, default="", allow_blank=True)


class ItemInput(serializers.Serializer):
    description = serializers.CharField(max_length=200)
    sku = serializers.CharField(max_length=64, required=False, default="", allow_blank=True)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_ITEM_QUANTITY)
    unit_value = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    currency = serializers.CharField(min_length=3, max_length=3)
    hs_code = serializers.CharField(max_length=12, required=False, default="", allow_blank=True)
    origin_country = serializers.CharField(min_length=2, max_length=2)


class ParcelInput(serializers.Serializer):
    weight_g = serializers.IntegerField(min_value=1, max_value=1_000_000)
    length_mm = serializers.IntegerField(min_value=1, max_value=10_000)
    width_mm = serializers.IntegerField(min_value=1, max_value=10_000)
    height_mm = serializers.IntegerField(min_value=1, max_value=10_000)
    items = ItemInput(many=True, required=False, default=list, max_length=MAX_ITEMS_PER_PARCEL)


class OrderInput(serializers.Serializer):
    reference = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)
    service_level = serializers.ChoiceField(choices=["express", "standard", "economy"], default="standard")
    sender = AddressInput()
    recipient = AddressInput()
    parcels = ParcelInput(many=True, min_length=1, max_length=MAX_PARCELS_PER_ORDER)
    carrier_service = serializers.CharField(
        max_length=101,
        required=False,
        default="",
        allow_blank=True,
        validators=[RegexValidator(rf"\A{CARRIER_SERVICE.pattern}\Z", "Send carrier/service as /rates/ answers it.")],
        help_text="The route picked from POST /api/v1/rates/ as `carrier/service`; empty or absent: the "
        "platform chooses. A route that cannot take the order is refused (422 `route_not_eligible`).",
    )
    strategy = serializers.ChoiceField(
        choices=STRATEGIES,
        required=False,
        help_text="How the platform ranks the routes when no `carrier_service` is given; absent: the "
        "merchant's default strategy, else cheapest.",
    )

    def to_request(self) -> OrderRequest:
        data = self.validated_data
        return OrderRequest(
            draft=self.to_draft(), chosen_route=chosen_route(data["carrier_service"]), strategy=data.get("strategy")
        )

    def to_draft(self) -> OrderDraft:
        """The order as the shipping center takes it, with codes in the case they are stored in
        (the shipping center normalises the same way), so that the draft is what gets recorded."""
        data = self.validated_data
        return OrderDraft(
            reference=data["reference"],
            service_level=data["service_level"],
            sender=_address_draft(data["sender"]),
            recipient=_address_draft(data["recipient"]),
            parcels=tuple(
                ParcelDraft(
                    weight_g=p["weight_g"],
                    length_mm=p["length_mm"],
                    width_mm=p["width_mm"],
                    height_mm=p["height_mm"],
                    items=tuple(
                        ItemDraft(
                            **(i | {"currency": i["currency"].upper(), "origin_country": i["origin_country"].upper()})
                        )
                        for i in p["items"]
                    ),
                )
                for p in data["parcels"]
            ),
        )


def _address_draft(data: dict) -> AddressDraft:
    return AddressDraft(
        **(data | {"country": data["country"].upper(), "postal_code": data["postal_code"].strip().upper()})
    )


class OrderCancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


ADDRESS_FIELDS = ("name", "company", "line1", "line2", "city", "state", "postal_code", "country", "phone", "email")


class ItemOutput(serializers.Serializer):
    description = serializers.CharField()
    sku = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_value = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    hs_code = serializers.CharField()
    origin_country = serializers.CharField()


class ParcelOutput(serializers.Serializer):
    weight_g = serializers.IntegerField()
    length_mm = serializers.IntegerField()
    width_mm = serializers.IntegerField()
    height_mm = serializers.IntegerField()
    items = ItemOutput(many=True, source="items.all")


class AddressOutput(serializers.Serializer):
    name = serializers.CharField()
    company = serializers.CharField()
    line1 = serializers.CharField()
    line2 = serializers.CharField()
    city = serializers.CharField()
    state = serializers.CharField()
    postal_code = serializers.CharField()
    country = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()


class OrderOutput(serializers.Serializer):
    # Ids travel as strings: JavaScript clients lose precision above 2**53.
    id = serializers.CharField()
    number = serializers.CharField()
    reference = serializers.CharField()
    state = serializers.CharField()
    version = serializers.IntegerField()
    service_level = serializers.CharField()
    carrier = serializers.CharField(source="carrier_code")
    service = serializers.CharField(source="service_code")
    tracking_number = serializers.CharField()
    quoted_price = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    quoted_currency = serializers.CharField()
    sender = serializers.SerializerMethodField()
    recipient = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(AddressOutput)
    def get_sender(self, order) -> dict:
        return {f: getattr(order, f"sender_{f}") for f in ADDRESS_FIELDS}

    @extend_schema_field(AddressOutput)
    def get_recipient(self, order) -> dict:
        return {f: getattr(order, f"recipient_{f}") for f in ADDRESS_FIELDS}


class OrderDetailOutput(OrderOutput):
    parcels = ParcelOutput(many=True, source="parcels.all")


BULK_MAX_ORDERS = 500


class BulkOrderEnvelope(serializers.Serializer):
    """What the bulk endpoint parses: each order is validated on its own, so that one bad order
    fails alone (`BulkOrderInput` is what the schema shows)."""

    orders = serializers.ListField(child=serializers.JSONField(), min_length=1, max_length=BULK_MAX_ORDERS)


class BulkOrderInput(serializers.Serializer):
    orders = OrderInput(many=True, min_length=1, max_length=BULK_MAX_ORDERS)


class BulkOrderResult(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the order in the request.")
    status = serializers.IntegerField(help_text="201 when created, else the status a single create would get.")
    order = OrderDetailOutput(allow_null=True, help_text="The created order, when status is 201.")
    error = ErrorOutput(allow_null=True, help_text="Why this order was refused, in the API's error format.")


class BulkOrderOutput(serializers.Serializer):
    created = serializers.IntegerField()
    failed = serializers.IntegerField()
    results = BulkOrderResult(many=True)


ORDER_EVENT_TYPES = [kind.value for kind in TimelineKind]


class OrderEventOutput(serializers.Serializer):
    type = serializers.ChoiceField(choices=ORDER_EVENT_TYPES)
    occurred_at = serializers.DateTimeField()
    state = serializers.CharField(help_text="The order's state reached (state_changed); empty for tracking.")
    previous_state = serializers.CharField(help_text="The state left (state_changed); empty for tracking.")
    milestone = serializers.CharField(help_text="The carrier milestone (tracking); empty for state changes.")
    carrier_status = serializers.CharField(help_text="The carrier's own status code (tracking).")
    description = serializers.CharField()
    location = serializers.CharField()


class OrderEventsOutput(serializers.Serializer):
    results = OrderEventOutput(many=True)
