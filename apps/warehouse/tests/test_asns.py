"""Inbound shipments: announced, received in parts, discrepancies kept, receipts counted once."""

from datetime import UTC, datetime

import pytest

from apps.warehouse.exceptions import AsnNotFound, InvalidAsn
from apps.warehouse.models import AsnDiscrepancy, StockMovement, WarehouseOrder
from apps.warehouse.selectors import asn_get
from apps.warehouse.services import (
    asn_announce,
    asn_close,
    asn_create,
    asn_receipt_apply,
    asn_receipts_poll,
    stock_check,
)
from apps.warehouse.tests.test_orders import MERCHANT, create, levels
from apps.warehouse.wms.types import Receipt, ReceiptLine

AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def receipt(asn, receipt_id: str, *lines: tuple[str, int, int]) -> Receipt:
    return Receipt(
        receipt_id=receipt_id,
        asn_reference=asn.external_reference,
        lines=tuple(ReceiptLine(sku=sku, accepted=a, damaged=d) for sku, a, d in lines),
        received_at=AT,
    )


def discrepancies(asn) -> list[tuple[str, str, int]]:
    return sorted(AsnDiscrepancy.objects.filter(asn=asn).values_list("sku", "kind", "quantity"))


def test_receipts_add_only_accepted_units_and_record_what_differs(wms):
    asn = asn_create(merchant_id=MERCHANT, warehouse_code="hk-1", lines=[("MUG", 10), ("TEE", 5), ("MUG", 2)])
    asn_announce(asn_id=asn.pk)

    asn_receipt_apply(warehouse_code="hk-1", receipt=receipt(asn, "R1", ("MUG", 6, 1), ("CAP", 3, 0)))
    asn_receipt_apply(warehouse_code="hk-1", receipt=receipt(asn, "R2", ("MUG", 7, 0), ("TEE", 2, 0)))
    closed = asn_close(asn_id=asn.pk)

    assert wms.asns[asn.external_reference].lines[0].expected == 12
    assert levels("MUG")[0] == 13 and levels("TEE")[0] == 2 and levels("CAP")[0] == 3
    assert closed.status == "closed"
    assert discrepancies(asn) == [
        ("CAP", "unexpected", 3),
        ("MUG", "damaged", 1),
        ("MUG", "over", 1),
        ("TEE", "short", 3),
    ]
    assert [(line.sku, line.expected, line.accepted, line.damaged) for line in asn_get(asn_id=asn.pk).lines.all()] == [
        ("MUG", 12, 13, 1),
        ("TEE", 5, 2, 0),
        ("CAP", 0, 3, 0),
    ]
    assert stock_check().differences == []


def test_a_receipt_reported_twice_counts_once(wms):
    asn = asn_create(merchant_id=MERCHANT, warehouse_code="hk-1", lines=[("MUG", 10)])
    wms.receipts_by_asn[asn.external_reference] = [receipt(asn, "R1", ("MUG", 4, 0))]

    first = asn_receipt_apply(warehouse_code="hk-1", receipt=receipt(asn, "R1", ("MUG", 4, 0)))
    polled = asn_receipts_poll(asn_id=asn.pk)

    assert (first, polled) == (True, 0)
    assert levels("MUG")[0] == 4
    assert StockMovement.objects.filter(kind="received").count() == 1


def test_backordered_orders_are_allocated_as_stock_arrives_oldest_first(wms):
    older = create([("MUG", 3)])
    newer = create([("MUG", 3)])
    asn = asn_create(merchant_id=MERCHANT, warehouse_code="hk-1", lines=[("MUG", 4)])

    asn_receipt_apply(warehouse_code="hk-1", receipt=receipt(asn, "R1", ("MUG", 4, 0)))

    assert WarehouseOrder.objects.get(pk=older.pk).state == "allocated"
    assert WarehouseOrder.objects.get(pk=newer.pk).state == "backordered"
    assert levels("MUG") == (4, 3, 1)


def test_bad_notices_and_unknown_references_are_refused(wms):
    with pytest.raises(InvalidAsn):
        asn_create(merchant_id=MERCHANT, warehouse_code="hk-1", lines=[("MUG", 0)])
    with pytest.raises(AsnNotFound):
        asn_receipt_apply(
            warehouse_code="hk-1",
            receipt=Receipt(receipt_id="R", asn_reference="ASN-999999", lines=(), received_at=AT),
        )
