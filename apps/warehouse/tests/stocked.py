"""A warehouse holding a merchant's stock, for the tests of the channels that order from it
(intake, the portal, the ERP API): rows come from the real services."""

from decimal import Decimal

from apps.resources.models import Warehouse
from apps.resources.services import warehouse_upsert
from apps.warehouse.services import stock_adjust


def stocked_warehouse(
    *, merchant_id: int, stock: dict[str, int], code: str = "sz-1", carrier_codes: tuple[str, ...] = ("test-post",)
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
        handling_fee=Decimal("1.00"),
        currency="USD",
        carrier_codes=list(carrier_codes),
    )
    for sku, units in stock.items():
        stock_adjust(
            merchant_id=merchant_id, warehouse_code=code, sku=sku, quantity=units, reason="seeded", actor="test"
        )
    return warehouse
