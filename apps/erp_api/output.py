"""Orders as JSON, written out by hand: the hot path of intake renders every created order.

DRF serializers build and deep-copy their fields on every use (about 0.4 ms for an order);
these functions build the same dicts directly. The shapes are the serializers'
`OrderOutput`/`OrderDetailOutput` in serializers.py, which document them in the schema;
Schemathesis checks every answer against that schema, test_orders_api checks that a
created order reads back the same, and test_order_shape.py that every field of the schema is
written, of its type, and no other, as the serializers write it.
"""

from datetime import datetime
from decimal import Decimal

from apps.erp_api.serializers import ADDRESS_FIELDS


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _moment(value: datetime) -> str:
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def order_summary(order) -> dict:
    """`OrderOutput` of an Order row."""
    return {
        "id": str(order.id),
        "number": order.number,
        "reference": order.reference,
        "state": order.state,
        "version": order.version,
        "service_level": order.service_level,
        "carrier": order.carrier_code,
        "service": order.service_code,
        "tracking_number": order.tracking_number,
        "quoted_price": _money(order.quoted_price),
        "quoted_currency": order.quoted_currency,
        "warehouse": order.warehouse_code or None,
        "sender": {f: getattr(order, f"sender_{f}") for f in ADDRESS_FIELDS} | {"normalized": order.sender_normalized},
        "recipient": {f: getattr(order, f"recipient_{f}") for f in ADDRESS_FIELDS}
        | {"normalized": order.recipient_normalized},
        "created_at": _moment(order.created_at),
        "updated_at": _moment(order.updated_at),
    }


def _items(parcel):
    items = parcel.items
    return items.all() if hasattr(items, "all") else items


def order_detail(order, parcels) -> dict:
    """`OrderDetailOutput`: the order with `parcels`, either its rows or the drafts it was
    recorded from (both have the same attributes)."""
    return order_summary(order) | {
        "parcels": [
            {
                "weight_g": p.weight_g,
                "length_mm": p.length_mm,
                "width_mm": p.width_mm,
                "height_mm": p.height_mm,
                "items": [
                    {
                        "description": i.description,
                        "sku": i.sku,
                        "quantity": i.quantity,
                        "unit_value": _money(i.unit_value),
                        "currency": i.currency,
                        "hs_code": i.hs_code,
                        "origin_country": i.origin_country,
                    }
                    for i in _items(p)
                ],
            }
            for p in parcels
        ]
    }
