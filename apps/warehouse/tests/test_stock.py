"""Stock holds with an owner and an expiry, and the ledger check that proves the figures."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.common.models import OutboxEvent
from apps.warehouse.events import WAREHOUSE_STOCK_DISCREPANCY
from apps.warehouse.exceptions import OutOfStock
from apps.warehouse.models import Stock, StockCheck
from apps.warehouse.selectors import stock_list
from apps.warehouse.services import stock_check, stock_release, stock_reservations_expire, stock_reserve
from apps.warehouse.tests.test_orders import MERCHANT, create, levels, stock


def test_a_hold_reserves_until_released_or_expired(db):
    stock("MUG", 5)
    soon = timezone.now() + timedelta(minutes=10)
    kept = stock_reserve(merchant_id=MERCHANT, warehouse_code="hk-1", sku="MUG", quantity=2, owner="quote Q1")
    expiring = stock_reserve(
        merchant_id=MERCHANT, warehouse_code="hk-1", sku="MUG", quantity=3, owner="quote Q2", expires_at=soon
    )

    with pytest.raises(OutOfStock):
        stock_reserve(merchant_id=MERCHANT, warehouse_code="hk-1", sku="MUG", quantity=1, owner="quote Q3")
    assert stock_reservations_expire(now=soon - timedelta(seconds=1)) == 0
    assert stock_reservations_expire(now=soon) == 1
    expiring.refresh_from_db()
    assert expiring.released_at is not None and levels("MUG") == (5, 2, 3)
    stock_release(reservation_id=kept.pk)
    stock_release(reservation_id=kept.pk)
    assert levels("MUG") == (5, 0, 5)
    assert stock_check().differences == []


def test_the_check_reports_a_row_that_disagrees_with_its_ledger_or_reservations(db, capsys):
    stock("MUG", 5)
    stock("TEE", 5)
    create([("TEE", 2)])
    Stock.objects.filter(sku="MUG").update(on_hand=7)  # changed behind the services' back
    Stock.objects.filter(sku="TEE").update(reserved=1)

    with pytest.raises(SystemExit) as exit_code:
        call_command("check_stock")

    check = StockCheck.objects.get()
    assert exit_code.value.code == 1
    assert [(d["sku"], d["on_hand"], d["ledger"], d["reserved"], d["reservations"]) for d in check.differences] == [
        ("MUG", 7, 5, 0, 0),
        ("TEE", 5, 5, 1, 2),
    ]
    assert "2 differences" in capsys.readouterr().out
    assert OutboxEvent.objects.get(event_type=WAREHOUSE_STOCK_DISCREPANCY).payload["count"] == 2


def test_the_check_passes_quietly_when_every_figure_agrees(db, capsys):
    stock("MUG", 5)
    create([("MUG", 2)])

    call_command("check_stock")

    assert "0 differences" in capsys.readouterr().out
    assert not OutboxEvent.objects.filter(event_type=WAREHOUSE_STOCK_DISCREPANCY).exists()


@pytest.mark.django_db(transaction=True)  # each change commits, with its own time
def test_stock_list_filters_by_warehouse_sku_and_change_time():
    stock("MUG", 5)
    stock("TEE", 5, warehouse_code="de-1")
    stock("MUG", 5, merchant_id=99)
    later = timezone.now()
    stock("TEE", 1, warehouse_code="de-1")

    assert [(s.warehouse_code, s.sku) for s in stock_list(merchant_id=MERCHANT)] == [("de-1", "TEE"), ("hk-1", "MUG")]
    assert [s.sku for s in stock_list(merchant_id=MERCHANT, warehouse_code="hk-1")] == ["MUG"]
    assert [s.sku for s in stock_list(merchant_id=MERCHANT, changed_since=later)] == ["TEE"]
