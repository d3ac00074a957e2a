"""Order drafts as a merchant would submit them; orders themselves come from the real services."""

from dataclasses import replace
from decimal import Decimal

from apps.orders.types import AddressDraft, ItemDraft, OrderDraft, OrderRoute, ParcelDraft


def address_draft(**overrides) -> AddressDraft:
    values = {
        "name": "Anna Schmidt",
        "line1": "Hauptstr. 5",
        "city": "Berlin",
        "postal_code": "10115",
        "country": "DE",
        "email": "anna@example.com",
        "phone": "+4930123456",
    }
    return AddressDraft(**(values | overrides))


def sender_draft(**overrides) -> AddressDraft:
    values = {
        "name": "Shenzhen Gadgets",
        "line1": "1 Keji Rd",
        "city": "Shenzhen",
        "postal_code": "518000",
        "country": "CN",
        "phone": "+8675512345678",
    }
    return AddressDraft(**(values | overrides))


def item_draft(**overrides) -> ItemDraft:
    values = {
        "description": "T-shirt",
        "sku": "TS-1",
        "quantity": 2,
        "unit_value": Decimal("12.50"),
        "currency": "USD",
        "hs_code": "610910",
        "origin_country": "CN",
    }
    return ItemDraft(**(values | overrides))


def parcel_draft(**overrides) -> ParcelDraft:
    values = {"weight_g": 1200, "length_mm": 300, "width_mm": 200, "height_mm": 100, "items": (item_draft(),)}
    return ParcelDraft(**(values | overrides))


def order_draft(**overrides) -> OrderDraft:
    draft = OrderDraft(
        sender=sender_draft(),
        recipient=address_draft(),
        parcels=(parcel_draft(),),
        service_level="standard",
        reference="",
    )
    return replace(draft, **overrides)


def order_payload(**overrides) -> dict:
    """The same order as ERP API JSON."""
    payload = {
        "reference": "ERP-1001",
        "service_level": "standard",
        "sender": {
            "name": "Shenzhen Gadgets",
            "line1": "1 Keji Rd",
            "city": "Shenzhen",
            "postal_code": "518000",
            "country": "CN",
            "phone": "+8675512345678",
        },
        "recipient": {
            "name": "Anna Schmidt",
            "line1": "Hauptstr. 5",
            "city": "Berlin",
            "postal_code": "10115",
            "country": "DE",
            "email": "anna@example.com",
        },
        "parcels": [
            {
                "weight_g": 1200,
                "length_mm": 300,
                "width_mm": 200,
                "height_mm": 100,
                "items": [
                    {
                        "description": "T-shirt",
                        "sku": "TS-1",
                        "quantity": 2,
                        "unit_value": "12.50",
                        "currency": "USD",
                        "hs_code": "610910",
                        "origin_country": "CN",
                    }
                ],
            }
        ],
    }
    return payload | overrides


def fixed_route(**overrides) -> OrderRoute:
    values = {"carrier_code": "test-post", "service_code": "standard", "price": Decimal("12.40"), "currency": "USD"}
    return OrderRoute(**(values | overrides))


def create_order(*, merchant_id: int, route: OrderRoute | None = None, channel: str = "api", **draft_overrides):
    """An accepted order made through the order center's own service (for tests of this layer and below
    shipping); tests of intake go through apps.shipping.services.order_submit instead."""
    from django.db import transaction

    from apps.orders.services import order_create

    with transaction.atomic():
        return order_create(
            merchant_id=merchant_id,
            draft=order_draft(**draft_overrides),
            route=route or fixed_route(),
            actor="test",
            channel=channel,
        )
