"""Request and response shapes of the orders endpoints."""

from decimal import Decimal

from rest_framework import serializers

from apps.orders.types import AddressDraft, ItemDraft, OrderDraft, ParcelDraft


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
    quantity = serializers.IntegerField(min_value=1, max_value=100000)
    unit_value = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    currency = serializers.CharField(min_length=3, max_length=3)
    hs_code = serializers.CharField(max_length=12, required=False, default="", allow_blank=True)
    origin_country = serializers.CharField(min_length=2, max_length=2)


class ParcelInput(serializers.Serializer):
    weight_g = serializers.IntegerField(min_value=1, max_value=1_000_000)
    length_mm = serializers.IntegerField(min_value=1, max_value=10_000)
    width_mm = serializers.IntegerField(min_value=1, max_value=10_000)
    height_mm = serializers.IntegerField(min_value=1, max_value=10_000)
    items = ItemInput(many=True, required=False, default=list)


class OrderInput(serializers.Serializer):
    reference = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)
    service_level = serializers.ChoiceField(choices=["express", "standard", "economy"], default="standard")
    sender = AddressInput()
    recipient = AddressInput()
    parcels = ParcelInput(many=True, min_length=1, max_length=50)

    def to_draft(self) -> OrderDraft:
        data = self.validated_data
        return OrderDraft(
            reference=data["reference"],
            service_level=data["service_level"],
            sender=AddressDraft(**data["sender"]),
            recipient=AddressDraft(**data["recipient"]),
            parcels=tuple(
                ParcelDraft(
                    weight_g=p["weight_g"],
                    length_mm=p["length_mm"],
                    width_mm=p["width_mm"],
                    height_mm=p["height_mm"],
                    items=tuple(ItemDraft(**i) for i in p["items"]),
                )
                for p in data["parcels"]
            ),
        )


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

    def get_sender(self, order) -> dict:
        return {f: getattr(order, f"sender_{f}") for f in ADDRESS_FIELDS}

    def get_recipient(self, order) -> dict:
        return {f: getattr(order, f"recipient_{f}") for f in ADDRESS_FIELDS}


class OrderDetailOutput(OrderOutput):
    parcels = ParcelOutput(many=True, source="parcels.all")
