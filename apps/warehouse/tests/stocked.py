"""A warehouse holding a merchant's stock, for the tests of the channels that order from it
(intake, the portal, the ERP API): rows come from the real services."""

from datetime import time
from decimal import Decimal

from apps.resources.models import Warehouse
from apps.resources.services import warehouse_upsert
from apps.warehouse.services import stock_adjust


def stocked_warehouse(
    *,
    merchant_id: int,
    stock: dict[str, int],
    code: str = "sz-1",
    carrier_codes: tuple[str, ...] = ("test-post",),
    handling_fee: str = "1.00",
    time_zone: str | None = None,
    cutoff_time: time | None = None,
) -> Warehouse:
    """A warehouse in Shenzhen shipping to Germany with the given carriers (the `cn_de_service`
    fixture's is `test-post`), with `stock` on hand for the merchant."""
    warehouse = warehouse_upsert(
        code=code,
        name=f"Warehouse {code}",
        country="CN",
        city="Shenzhen",
        ships_to=["DE", "FR"],
        endpoint_url=f"http://127.0.0.1:9/wms/{code}/",
        handling_fee=Decimal(handling_fee),
        currency="USD",
        carrier_codes=list(carrier_codes),
        time_zone=time_zone,
        cutoff_time=cutoff_time,
        address={"line1": f"{code} Logistics Park", "postal_code": "518000"},
    )
    for sku, units in stock.items():
        stock_adjust(
            merchant_id=merchant_id, warehouse_code=code, sku=sku, quantity=units, reason="seeded", actor="test"
        )
    return warehouse
