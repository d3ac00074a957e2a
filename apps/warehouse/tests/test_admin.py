"""The warehouse pages for operations: stock with its ledger, ASNs with discrepancies, warehouse
orders with history and WMS calls, and held drift accepted or held by the people allowed to."""

import importlib
from datetime import UTC, datetime

import pytest
from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group

from apps.merchants.tests.factories import UserFactory
from apps.warehouse.models import ReconciliationLine, Stock
from apps.warehouse.services import asn_create, asn_receipt_apply, stock_snapshot_apply
from apps.warehouse.tests.test_orders import MERCHANT, create, levels, stock
from apps.warehouse.tests.test_wms_orders import submitted
from apps.warehouse.wms.types import Receipt, ReceiptLine


@pytest.fixture
def roles(db):
    importlib.import_module("apps.backoffice.migrations.0002_staff_roles").create_roles(apps, None)
    importlib.import_module("apps.warehouse.migrations.0003_staff_roles").grant(apps, None)


def member_of(client, role: str):
    user = UserFactory(is_staff=True, username=f"{role}-member")
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return client


def held_drift() -> ReconciliationLine:
    stock("MUG", 100)
    stock_snapshot_apply(
        warehouse_code="hk-1",
        snapshot_id="s1",
        taken_at=datetime(2026, 12, 1, tzinfo=UTC),
        items=[(MERCHANT, "MUG", 140)],
    )
    return ReconciliationLine.objects.get(decision="pending")


def test_every_role_reads_the_warehouse_pages(client, wms, roles):
    stock("MUG", 5)
    warehouse_order = submitted([("MUG", 1)])
    asn = asn_create(merchant_id=MERCHANT, warehouse_code="hk-1", lines=[("MUG", 2)])
    asn_receipt_apply(
        warehouse_code="hk-1",
        receipt=Receipt(
            receipt_id="R1",
            asn_reference=asn.external_reference,
            lines=(ReceiptLine(sku="MUG", accepted=1, damaged=1),),
            received_at=datetime(2026, 12, 1, tzinfo=UTC),
        ),
    )
    row = Stock.objects.get(sku="MUG")
    member_of(client, "support")

    order_page = client.get(f"/admin/warehouse/warehouseorder/{warehouse_order.pk}/change/").content.decode()
    stock_page = client.get(f"/admin/warehouse/stock/{row.pk}/change/").content.decode()
    asn_page = client.get(f"/admin/warehouse/asn/{asn.pk}/change/").content.decode()

    assert "submitted" in order_page and "create_order" in order_page  # history and the WMS call
    assert "received" in stock_page and "ASN-" in stock_page  # the ledger
    assert "damaged" in asn_page
    for path in ["reconciliationreport", "reconciliationline", "wmscall", "stockmovement", "stockcheck"]:
        assert client.get(f"/admin/warehouse/{path}/").status_code == 200, path


def test_administrators_accept_drift_and_the_decision_is_logged(client, roles):
    line = held_drift()

    answer = member_of(client, "administrators").post(
        "/admin/warehouse/reconciliationline/", {"action": "accept_drift", "_selected_action": [line.pk]}
    )

    line.refresh_from_db()
    assert answer.status_code == 302
    assert line.decision == "accepted" and line.decided_by.startswith("staff:")
    assert levels("MUG")[0] == 140
    assert LogEntry.objects.get(object_id=str(line.pk)).change_message == "Drift accepted"


def test_support_may_not_decide_drift(client, roles):
    line = held_drift()

    support = member_of(client, "support")
    page = support.get("/admin/warehouse/reconciliationline/")
    support.post("/admin/warehouse/reconciliationline/", {"action": "hold_drift", "_selected_action": [line.pk]})

    assert "accept_drift" not in page.content.decode()
    assert ReconciliationLine.objects.get(pk=line.pk).decision == "pending"


def test_operations_hold_a_warehouse_order_from_its_list(client, roles):
    stock("MUG", 5)
    warehouse_order = create([("MUG", 1)])

    member_of(client, "administrators").post(
        "/admin/warehouse/warehouseorder/", {"action": "hold", "_selected_action": [warehouse_order.pk]}
    )

    warehouse_order.refresh_from_db()
    assert warehouse_order.state == "on_hold"
    assert warehouse_order.history.last().actor.startswith("staff:")


def test_late_orders_are_listed_for_operations(admin_client, db):
    import datetime

    from django.utils import timezone

    from apps.warehouse.models import WarehouseOrder

    today = timezone.localdate()
    late = WarehouseOrder.objects.create(
        order_id=1, merchant_id=7, warehouse_code="hk-1", state="picking", ship_by=today - datetime.timedelta(days=1)
    )
    WarehouseOrder.objects.create(order_id=2, merchant_id=7, warehouse_code="hk-1", state="picking", ship_by=today)
    WarehouseOrder.objects.create(
        order_id=3, merchant_id=7, warehouse_code="hk-1", state="shipped", ship_by=today - datetime.timedelta(days=3)
    )

    page = admin_client.get("/admin/warehouse/warehouseorder/", {"late": "yes"}).content.decode()

    assert f'<a href="/admin/warehouse/warehouseorder/{late.pk}/change/' in page
    assert "1 warehouse order" in page
