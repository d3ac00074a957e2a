"""The operations dashboard: every figure as a chart with a table beside it, read cheaply (no
COUNT over the orders table, the same number of queries however many orders), and a fragment
the page's script swaps in."""

import base64
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.common import workers
from apps.distribution.exceptions import CarrierTransientError
from apps.distribution.health import circuit_status, guarded_call
from apps.distribution.models import CarrierCall
from apps.merchants.tests.factories import UserFactory
from apps.orders.tests.factories import create_order, fixed_route
from apps.scheduling.models import Lane
from apps.scheduling.services import lane_enqueue

DASHBOARD = "/admin/operations/dashboard/"
PANELS = "/admin/operations/dashboard/panels/"


@pytest.fixture
def busy(merchant, cn_de_service):
    """Orders on two carriers, one lane with waiting work, carrier calls in the last hour."""
    Lane.objects.create(key="carrier:test-post", downstream_kind="carrier", downstream_code="test-post", paused=True)
    orders = [create_order(merchant_id=merchant.pk, reference=f"D-{n}") for n in range(3)]
    orders.append(create_order(merchant_id=merchant.pk, reference="D-x", route=fixed_route(carrier_code="other-post")))
    for order in orders[:3]:
        lane_enqueue(order_id=order.pk)
    CarrierCall.objects.bulk_create(
        CarrierCall(
            carrier_code="test-post",
            operation="book",
            method="POST",
            path="shipments/",
            outcome=outcome,
            duration_ms=ms,
        )
        for outcome, ms in [("ok", 120), ("ok", 180), ("failed", 900), ("ok", 150)]
    )
    return orders


def _tables(html: str) -> dict[str, str]:
    return dict(re.findall(r'id="panel-([a-z]+)".*?(<table.*?</table>)', html, re.S))


def test_the_dashboard_shows_each_figure_as_a_chart_and_a_table(staff_client, busy):
    workers.heartbeat_write(hostname="celery@test")
    page = staff_client.get(DASHBOARD)

    html = page.content.decode()
    assert page.status_code == 200
    tables = _tables(html)
    assert set(tables) == {
        "accepted", "states", "carriers", "lanes", "downstreams", "breakers", "outbox", "queues", "workers", "stuck",
    }  # fmt: skip
    assert re.search(r"<th scope=\"row\">scheduled</th><td>3</td>", tables["states"])
    assert re.search(r"<th scope=\"row\">accepted</th><td>1</td>", tables["states"])
    assert re.search(r"<th scope=\"row\">other-post</th><td>1</td>", tables["carriers"])
    assert re.search(r"<th scope=\"row\">carrier:test-post</th><td>3</td><td>0</td>", tables["lanes"])
    assert "75 %" in tables["downstreams"]  # 3 of 4 bookings went through
    assert "celery@test" in tables["workers"] and "alive" in tables["workers"]
    assert re.search(r"<th scope=\"row\">events</th><td>\d+</td>", tables["queues"])


def test_the_charts_are_svg_images_with_no_script_and_nothing_from_another_origin(staff_client, busy):
    html = staff_client.get(DASHBOARD).content.decode()

    charts = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert len(charts) >= 5
    for chart in charts:
        svg = base64.b64decode(chart).decode()
        assert svg.startswith("<svg") and "<script" not in svg
        assert not re.search(r"(href|src)=\"(https?:)?//", svg)
    assert "cdn" not in html.lower()


def test_an_open_breaker_is_shown(staff_client, busy, settings):
    def failing_call():
        raise CarrierTransientError("503 from the carrier")

    for _ in range(settings.CARRIER_BREAKER_FAIL_MAX):
        with pytest.raises(CarrierTransientError):
            guarded_call("test-post", failing_call)
    assert circuit_status("test-post").state == "open"

    tables = _tables(staff_client.get(DASHBOARD).content.decode())

    assert re.search(r"carrier:test-post</th><td>open", tables["breakers"])


def test_the_fragment_is_the_panels_alone(staff_client, busy):
    answer = staff_client.get(PANELS)

    html = answer.content.decode()
    assert answer.status_code == 200
    assert 'id="panel-lanes"' in html and "<html" not in html


def test_the_dashboard_never_counts_the_orders_table_and_costs_the_same_for_more_orders(staff_client, busy, merchant):
    def queries() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(PANELS).status_code == 200
        return [q["sql"] for q in captured.captured_queries]

    few = queries()
    for n in range(20):
        create_order(merchant_id=merchant.pk, reference=f"M-{n}")
    many = queries()

    assert len(many) == len(few)
    # Orders are counted on an id window (ids are time-ordered), among the open states (few beside
    # the closed, on the state index), or up to a limit; never across the whole table.
    unbounded = [sql for sql in many if "COUNT(" in sql.upper() and '"orders_order"' in sql and "LIMIT" not in sql]
    assert [sql for sql in unbounded if '"orders_order"."id" >=' not in sql and '"state" IN (' not in sql] == []


def test_only_staff_see_the_dashboard(client, merchant):
    client.force_login(UserFactory(is_staff=False))

    assert client.get(DASHBOARD).status_code == 302  # to the admin's login
    assert client.get(PANELS).status_code == 302
