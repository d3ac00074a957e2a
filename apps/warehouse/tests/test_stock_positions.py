"""What a merchant sees of its stock: available, reserved and inbound per warehouse and SKU, a
page at a time however many SKUs there are."""

import pytest

from apps.warehouse.selectors import stock_positions
from apps.warehouse.services import asn_close, asn_create, stock_adjust


@pytest.fixture
def stock(merchant, warehouse):
    for sku, units in {"A": 1, "B": 2, "C": 3, "D": 4}.items():
        stock_adjust(merchant_id=merchant.pk, warehouse_code="hk-1", sku=sku, quantity=units, reason="t", actor="t")


def _rows(positions):
    return [(p.warehouse_code, p.sku, p.on_hand, p.inbound) for p in positions]


def test_a_page_of_positions_merges_what_is_on_its_way_and_counts_them_all(merchant, stock):
    asn_create(merchant_id=merchant.pk, warehouse_code="hk-1", lines=[("D", 5), ("AA", 7)])
    closed = asn_create(merchant_id=merchant.pk, warehouse_code="hk-1", lines=[("B", 9)])
    asn_close(asn_id=closed.pk)

    first, total = stock_positions(merchant_id=merchant.pk, limit=2)
    everything, same_total = stock_positions(merchant_id=merchant.pk)

    assert total == same_total == 5
    assert _rows(first) == [("hk-1", "A", 1, 0), ("hk-1", "AA", 0, 7)]
    assert _rows(everything) == [
        ("hk-1", "A", 1, 0),
        ("hk-1", "AA", 0, 7),
        ("hk-1", "B", 2, 0),
        ("hk-1", "C", 3, 0),
        ("hk-1", "D", 4, 5),  # past the page's stock rows, and still inbound
    ]
    assert _rows(stock_positions(merchant_id=merchant.pk, sku="D")[0]) == [("hk-1", "D", 4, 5)]


def test_another_merchants_stock_and_asns_are_not_counted(merchant, stock, django_user_model):
    from apps.merchants.tests.factories import MerchantFactory

    other = MerchantFactory()
    asn_create(merchant_id=other.pk, warehouse_code="hk-1", lines=[("SECRET", 3)])

    positions, total = stock_positions(merchant_id=merchant.pk)

    assert total == 4 and "SECRET" not in {p.sku for p in positions}
