"""Volume for tests and benchmarks: many plain new orders written in one SQL statement.

Rows made here are new rows only (like a factory); any later state comes from real services.
"""

from django.db import connection

from apps.common.ids import compose


def bulk_insert_orders(*, merchant_id: int, count: int, state: str = "accepted", base_ms: int = 10_000_000) -> None:
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
                '', now(), now()
            FROM generate_series(0, %(count)s - 1) AS g
            """,
            {"first_id": first_id, "merchant_id": merchant_id, "state": state, "count": count},
        )
