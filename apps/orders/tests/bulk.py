"""Volume for tests and benchmarks: many plain new orders written in one SQL statement.

Rows made here are new rows only (like a factory); any later state comes from real services.
"""

from django.db import connection

from apps.common.ids import compose


def bulk_insert_orders(
    *, merchant_id: int, count: int, state: str = "accepted", base_ms: int = 10_000_000, days_ago: int = 0
) -> None:
    first_id = compose(milliseconds=base_ms, shard=0, worker=255, sequence=0)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO orders_order (
                id, merchant_id, reference, service_level, channel, state, version,
                sender_name, sender_company, sender_line1, sender_line2, sender_city, sender_state,
                sender_postal_code, sender_country, sender_phone, sender_email,
                recipient_name, recipient_company, recipient_line1, recipient_line2, recipient_city, recipient_state,
                recipient_postal_code, recipient_country, recipient_phone, recipient_email,
                carrier_code, service_code, warehouse_code, quoted_price, quoted_currency, route_explanation,
                tracking_number, created_at, updated_at)
            SELECT %(first_id)s + g * 4096, %(merchant_id)s, 'BULK-' || g, 'standard', 'api', %(state)s, 1,
                'Shenzhen Gadgets', '', '1 Keji Rd', '', 'Shenzhen', '', '518000', 'CN', '', '',
                'Recipient ' || g, '', 'Hauptstr. ' || g, '', 'Berlin', '', '10115', 'DE', '+4930' || g,
                'r' || g || '@example.com', 'test-post', 'standard', '', 12.40, 'USD', '{}'::jsonb,
                '', now() - make_interval(days => %(days_ago)s), now() - make_interval(days => %(days_ago)s)
            FROM generate_series(0, %(count)s - 1) AS g
            """,
            {"first_id": first_id, "merchant_id": merchant_id, "state": state, "count": count, "days_ago": days_ago},
        )


def bulk_insert_contents(*, merchant_id: int) -> None:
    """One parcel with one item, and the order's creation in its history, for each of the
    merchant's orders (run once, after bulk_insert_orders)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_order")
        cursor.execute(
            """
            INSERT INTO orders_parcel (order_id, merchant_id, sequence, weight_g, length_mm, width_mm, height_mm)
            SELECT id, merchant_id, 1, 1200, 300, 200, 100 FROM orders_order WHERE merchant_id = %(merchant_id)s
            """,
            {"merchant_id": merchant_id},
        )
        cursor.execute(
            """
            INSERT INTO orders_item (parcel_id, merchant_id, description, sku, quantity, unit_value, currency,
                                     hs_code, origin_country)
            SELECT id, merchant_id, 'T-shirt', 'TS-1', 2, 12.50, 'USD', '610910', 'CN' FROM orders_parcel
            WHERE merchant_id = %(merchant_id)s
            """,
            {"merchant_id": merchant_id},
        )
        cursor.execute(
            """
            INSERT INTO orders_ordertransition (order_id, merchant_id, transition, from_state, to_state, actor,
                                                reason, occurred_at)
            SELECT id, merchant_id, 'create', '', 'accepted', 'bulk', 'received via api', created_at
            FROM orders_order WHERE merchant_id = %(merchant_id)s
            """,
            {"merchant_id": merchant_id},
        )
        cursor.execute("ANALYZE orders_parcel, orders_item, orders_ordertransition")
