"""Reserving the last units under contention: real threads, each with its own database
connection, committing for real (`transaction=True`)."""

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from apps.warehouse.exceptions import OutOfStock
from apps.warehouse.models import Stock, StockReservation, WarehouseOrder
from apps.warehouse.services import stock_adjust, stock_check, warehouse_order_create
from apps.warehouse.tests.test_orders import SHIP_TO

MERCHANT = 7
THREADS = 32  # connections in flight at once (the server allows 100, shared with other runs)

pytestmark = pytest.mark.django_db(transaction=True)


def _watch_available(stop: threading.Event, seen: list[int]) -> None:
    """Read the lowest available figure over and over while the others reserve."""
    try:
        while not stop.is_set():
            seen.append(min((row.available for row in Stock.objects.all()), default=0))
    finally:
        connection.close()


def _run(requests: list, work) -> list:
    go = threading.Event()

    def one(args):
        go.wait(timeout=10)  # the first THREADS requests start together
        try:
            return work(args)
        finally:
            connections.close_all()

    stop, seen = threading.Event(), []
    watcher = threading.Thread(target=_watch_available, args=(stop, seen))
    watcher.start()
    try:
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            futures = [pool.submit(one, args) for args in requests]
            go.set()
            results = [f.result() for f in futures]
    finally:
        stop.set()
        watcher.join()
    assert seen and min(seen) >= 0
    return results


def _reserve(lines):
    try:
        warehouse_order_create(
            order_id=1,
            merchant_id=MERCHANT,
            warehouse_code="hk-1",
            lines=lines,
            ship_to=SHIP_TO,
            allow_backorder=False,
            actor="test",
        )
    except OutOfStock as exc:
        return exc.code
    return "ok"


def test_200_requests_for_the_last_50_units_exactly_50_succeed():
    stock_adjust(merchant_id=MERCHANT, warehouse_code="hk-1", sku="LAST", quantity=50, reason="count", actor="t")

    results = _run([[("LAST", 1)]] * 200, _reserve)

    row = Stock.objects.get(sku="LAST")
    assert results.count("ok") == 50 and results.count("out_of_stock") == 150
    assert (row.on_hand, row.reserved, row.available) == (50, 50, 0)
    assert StockReservation.objects.filter(released_at__isnull=True).count() == 50
    assert WarehouseOrder.objects.filter(state="allocated").count() == 50
    assert stock_check().differences == []


def test_multi_line_orders_listing_the_same_skus_in_different_orders_never_deadlock():
    skus = ["S1", "S2", "S3", "S4"]
    for sku in skus:
        stock_adjust(merchant_id=MERCHANT, warehouse_code="hk-1", sku=sku, quantity=10, reason="count", actor="t")
    rng = random.Random(11)
    orders = []
    for _ in range(20):
        lines = [(sku, 1) for sku in skus]
        rng.shuffle(lines)
        lines.append((lines[0][0], 1))  # one SKU twice, on two lines
        orders.append(lines)

    results = _run(orders, _reserve)

    # Each order takes 1 of three SKUs and 2 of the one it lists twice.
    reserved = {sku: sum(n for o, r in zip(orders, results, strict=True) if r == "ok" for s, n in o if s == sku)
                for sku in skus}  # fmt: skip
    assert set(results) <= {"ok", "out_of_stock"}
    assert results.count("ok") >= 5  # 40 units for 5 units an order: the first 5 always fit
    for sku in skus:
        row = Stock.objects.get(sku=sku)
        assert row.reserved == reserved[sku] <= 10 and row.available >= 0
    assert stock_check().differences == []
