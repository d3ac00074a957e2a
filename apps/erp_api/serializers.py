"""Request and response shapes of the orders endpoints."""

from decimal import Decimal

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.common.text import refuse_control_characters
from apps.erp_api.fast_input import CARRIER_SERVICE, WAREHOUSE_MAX_LENGTH, OrderRequest, chosen_route
from apps.erp_api.schema import ErrorOutput
from apps.fulfillment.selectors import TimelineKind
from apps.orders.types import AddressDraft, ItemDraft, OrderDraft, ParcelDraft
from apps.resources.types import STRATEGIES
from apps.shipping import limits


def _text(max_length: int, *, optional: bool = False, exact: bool = False) -> serializers.CharField:
    """A single-line text field of at most `max_length` characters (exactly, with `exact`)."""
    blank = {"required": False, "default": "", "allow_blank": True} if optional else {}
    return serializers.CharField(
        max_length=max_length,
        min_length=max_length if exact else None,
        validators=[refuse_control_characters],
        **blank,
    )


def _address_field(name: str, **options) -> serializers.CharField:
    return _text(limits.ADDRESS_MAX_LENGTH[name], **options)


def _item_field(name: str, **options) -> serializers.CharField:
    return _text(limits.ITEM_MAX_LENGTH[name], **options)


class AddressInput(serializers.Serializer):
    name = _address_field("name")
    company = _address_field("company", optional=True)
    line1 = _address_field("line1")
    line2 = _address_field("line2", optional=True)
    city = _address_field("city")
    state = _address_field("state", optional=True)
    postal_code = _address_field("postal_code")
    country = _address_field("country", exact=True)
    phone = _address_field("phone", optional=True)
    email = serializers.EmailField(
        max_length=limits.ADDRESS_MAX_LENGTH["email"],
        required=False,
        default="",
        allow_blank=True,
        validators=[refuse_control_characters],
    )


class ItemInput(serializers.Serializer):
    description = _item_field("description")
    sku = _item_field("sku", optional=True)
    quantity = serializers.IntegerField(min_value=1, max_value=limits.QUANTITY_MAX)
    unit_value = serializers.DecimalField(
        max_digits=limits.UNIT_VALUE_MAX_DIGITS,
        decimal_places=limits.UNIT_VALUE_DECIMAL_PLACES,
        min_value=Decimal("0.01"),
    )
    currency = _item_field("currency", exact=True)
    hs_code = _item_field("hs_code", optional=True)
    origin_country = _item_field("origin_country", exact=True)


class ParcelInput(serializers.Serializer):
    weight_g = serializers.IntegerField(min_value=1, max_value=limits.PARCEL_MAX["weight_g"])
    length_mm = serializers.IntegerField(min_value=1, max_value=limits.PARCEL_MAX["length_mm"])
    width_mm = serializers.IntegerField(min_value=1, max_value=limits.PARCEL_MAX["width_mm"])
    height_mm = serializers.IntegerField(min_value=1, max_value=limits.PARCEL_MAX["height_mm"])
    items = ItemInput(many=True, required=False, default=list, max_length=limits.ITEMS_PER_PARCEL_MAX)


class OrderInput(serializers.Serializer):
    reference = _text(limits.REFERENCE_MAX_LENGTH, optional=True)
    service_level = serializers.ChoiceField(choices=["express", "standard", "economy"], default="standard")
    sender = AddressInput()
    recipient = AddressInput()
    parcels = ParcelInput(many=True, min_length=1, max_length=limits.PARCELS_PER_ORDER_MAX)
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

    warehouse = serializers.CharField(
        max_length=WAREHOUSE_MAX_LENGTH,
        required=False,
        default="",
        allow_blank=True,
        validators=[refuse_control_characters],
        help_text="Ship the order from your stock: a warehouse's code (GET /api/v1/stock/ lists yours), or `any` "
        "for the warehouse routing finds best. Every item then needs its `sku`; the units are reserved with the "
        "order, or it is refused (409 `out_of_stock`, `extra.short`: units short per SKU). Empty or absent: "
        "shipped direct from the sender.",
    )

    def to_request(self) -> OrderRequest:
        data = self.validated_data
        return OrderRequest(
            draft=self.to_draft(),
            chosen_route=chosen_route(data["carrier_service"]),
            strategy=data.get("strategy"),
            warehouse=data["warehouse"] or None,
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
    warehouse = serializers.SerializerMethodField(help_text="The warehouse shipping it from stock; null: direct.")
    sender = serializers.SerializerMethodField()
    recipient = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_warehouse(self, order) -> str | None:
        return order.warehouse_code or None

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
    state = serializers.CharField(
        help_text="The order's state reached (state_changed), or its warehouse order's (warehouse); empty for tracking."
    )
    previous_state = serializers.CharField(help_text="The state left (state_changed, warehouse); empty for tracking.")
    milestone = serializers.CharField(help_text="The carrier milestone (tracking); empty for state changes.")
    carrier_status = serializers.CharField(help_text="The carrier's own status code (tracking).")
    description = serializers.CharField()
    location = serializers.CharField()


class OrderWaitOutput(serializers.Serializer):
    waiting = serializers.BooleanField(help_text="Whether the order's booking waits on a carrier's lane.")
    lane = serializers.CharField(allow_null=True, help_text="The lane, e.g. carrier:euro-post.")
    place = serializers.IntegerField(allow_null=True, help_text="1 is the next to go; 0 once its call is under way.")
    held_by = serializers.ChoiceField(
        choices=["queue", "rate", "in_flight", "breaker", "paused", "held", "redis", "retry", "released"],
        allow_null=True,
        help_text="What holds it: work ahead of it, the carrier's rate or calls in flight, an open breaker, "
        "a pause by operations, the lane's counter unreachable, a failed attempt's backoff, or nothing "
        "(released: its call is under way).",
    )
    reason = serializers.CharField(allow_null=True)
    estimate_seconds = serializers.IntegerField(allow_null=True, help_text="Null when nobody can tell (held).")
    waiting_since = serializers.DateTimeField(allow_null=True)


class OrderEventsOutput(serializers.Serializer):
    results = OrderEventOutput(many=True)
