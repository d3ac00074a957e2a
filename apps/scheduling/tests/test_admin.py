"""The back office shows each state machine's history under its object, and lets nobody edit it."""

import re

import pytest

from apps.common.fsm import take_transition
from apps.distribution.models import DistributionOrder
from apps.fulfillment.models import FulfillmentOrder
from apps.merchants.tests.factories import UserFactory
from apps.orders.tests.factories import create_order
from apps.scheduling.services import lane_enqueue, lane_work_plan
from apps.warehouse.models import WarehouseOrder


@pytest.fixture
def staff_client(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _history_cells(page: str, field: str) -> list[str]:
    return re.findall(rf'<td class="field-{field}">\s*<p>([^<]*)</p>', page)


def test_each_state_machine_shows_its_history_read_only_on_the_change_page(staff_client, merchant, cn_de_service):
    order = create_order(merchant_id=merchant.pk)
    entry = lane_enqueue(order_id=order.pk, actor="ops:alice")  # queued, then released
    lane_work_plan(work_id=entry.pk)  # its plan: fulfilment order and distribution leg
    warehouse_order = WarehouseOrder.objects.create(order_id=order.pk, merchant_id=merchant.pk, warehouse_code="W1")
    take_transition(warehouse_order, "allocate", actor="ops:bob", reason="stock reserved")
    objects = [
        ("scheduling/laneentry", entry),
        ("fulfillment/fulfillmentorder", FulfillmentOrder.objects.get(order_id=order.pk)),
        ("distribution/distributionorder", DistributionOrder.objects.get(order_id=order.pk)),
        ("warehouse/warehouseorder", warehouse_order),
    ]

    for admin_path, obj in objects:
        url = f"/admin/{admin_path}/{obj.pk}/change/"
        response = staff_client.get(url)

        page = response.content.decode()
        history = list(obj.history.order_by("occurred_at", "id"))
        assert response.status_code == 200, url
        assert history, url
        assert _history_cells(page, "to_state") == [row.to_state for row in history], url
        assert _history_cells(page, "actor") == [row.actor for row in history], url
        assert "history-0-DELETE" not in page and 'name="history-0-to_state"' not in page, url
        assert "history-__prefix__" not in page, url  # no empty form to add a row from
        assert _history_cells(page, "reason") == [row.reason or "-" for row in history], url
