"""The demo's two warehouses are run by the sandbox WMS: each row points at its sandbox path with
its time zone and cut-off, and the demo merchant's goods are on the sandbox WMS's shelves, read
through the platform's WMS gateway over real HTTP."""

from datetime import time

import pytest
from django.core.management import call_command

from apps.resources.models import Warehouse
from apps.warehouse.wms import wms_gateway_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_demo_warehouses_snapshot_their_seeded_stock_from_the_sandbox_wms(live_server, settings):
    settings.SITE_URL = live_server.url
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115 - safe to run twice

    warehouses = {w.code: w for w in Warehouse.objects.all()}
    snapshots = {code: wms_gateway_for(w).stock_snapshot() for code, w in warehouses.items()}

    assert sorted(warehouses) == ["rtm-fulfil", "sz-fulfil"]
    assert warehouses["sz-fulfil"].endpoint_url == f"{live_server.url}/sandbox/wms/sz-fulfil/"
    assert (warehouses["sz-fulfil"].timezone, warehouses["sz-fulfil"].cutoff_time) == ("Asia/Shanghai", time(16))
    assert (warehouses["rtm-fulfil"].timezone, warehouses["rtm-fulfil"].cutoff_time) == ("Europe/Amsterdam", time(14))
    assert all(w.line1 and w.postal_code for w in warehouses.values())  # the sender on bookings made from them
    on_hand = {code: {i.sku: i.on_hand for i in snapshot.items} for code, snapshot in snapshots.items()}
    assert on_hand["sz-fulfil"]["SZG-EARBUDS"] == 240 and on_hand["rtm-fulfil"]["SZG-PHONE-CASE"] == 400
    assert all(snapshot.next_page is None for snapshot in snapshots.values())
