"""The order's one timeline: the order's states and the carrier's events, in event time, with a
tie-break that reads the same rows the same way every time."""

from datetime import UTC, datetime, timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.distribution.gateways import TrackingUpdate
from apps.distribution.services import distribution_order_book, distribution_order_create, tracking_apply
from apps.distribution.tests.test_distribution_services import FixedGateway
from apps.fulfillment.selectors import buyer_tracking, order_timeline
from apps.orders.services import order_cancel
from apps.orders.tests.factories import create_order

T = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # in the past: the ids made meanwhile keep riding the clock


def _booked_order(merchant):
    order = create_order(merchant_id=merchant.pk)
    leg = distribution_order_create(
        order_id=order.pk, merchant_id=merchant.pk, carrier_code="test-post", service_code="standard", actor="t"
    )
    distribution_order_book(distribution_order_id=leg.pk, gateway=FixedGateway())
    return order, leg


def _scan(status, milestone, at):
    return TrackingUpdate(milestone, status, f"scan {status}", "Leipzig", at)


def _read(timeline):
    return [(entry.kind.value, entry.state or entry.carrier_status, entry.occurred_at) for entry in timeline]


def test_a_state_change_and_a_carrier_event_at_the_same_instant_read_the_same_whichever_was_recorded_first(merchant):
    with time_machine.travel(T - timedelta(hours=1), tick=False):
        change_first, change_first_leg = _booked_order(merchant)
        scan_first, scan_first_leg = _booked_order(merchant)
    with time_machine.travel(T, tick=False):  # a scan is recorded no earlier than it happened
        tracking_apply(distribution_order_id=scan_first_leg.pk, updates=[_scan("ARR", "in_transit", T)])
        for order in (change_first, scan_first):
            order_cancel(merchant_id=merchant.pk, order_id=order.pk, actor="t", reason="buyer changed mind")
    with time_machine.travel(T + timedelta(minutes=5), tick=False):
        tracking_apply(distribution_order_id=change_first_leg.pk, updates=[_scan("ARR", "in_transit", T)])

    expected = [
        ("state_changed", "accepted", T - timedelta(hours=1)),
        ("state_changed", "cancelled", T),
        ("tracking", "ARR", T),
    ]
    assert _read(order_timeline(order=change_first)) == expected
    assert _read(order_timeline(order=scan_first)) == expected


def test_two_carrier_events_at_the_same_instant_keep_the_order_they_arrived_in(merchant):
    order, leg = _booked_order(merchant)
    at = order.created_at + timedelta(minutes=10)
    tracking_apply(distribution_order_id=leg.pk, updates=[_scan("ZZ-FIRST", "in_transit", at)])
    tracking_apply(distribution_order_id=leg.pk, updates=[_scan("AA-SECOND", "in_transit", at)])

    readings = [[entry.carrier_status for entry in order_timeline(order=order)] for _ in range(3)]

    assert readings == [["", "ZZ-FIRST", "AA-SECOND"]] * 3


def test_late_carrier_news_sorts_by_when_it_happened_not_when_it_arrived(merchant):
    with time_machine.travel(T, tick=False):
        order, leg = _booked_order(merchant)
    with time_machine.travel(T + timedelta(minutes=20), tick=False):
        tracking_apply(distribution_order_id=leg.pk, updates=[_scan("DEP", "in_transit", T + timedelta(minutes=10))])
    with time_machine.travel(T + timedelta(minutes=30), tick=False):
        order_cancel(merchant_id=merchant.pk, order_id=order.pk, actor="t", reason="buyer changed mind")
    with time_machine.travel(T + timedelta(minutes=40), tick=False):
        tracking_apply(distribution_order_id=leg.pk, updates=[_scan("PU", "picked_up", T + timedelta(minutes=5))])

    assert _read(order_timeline(order=order)) == [
        ("state_changed", "accepted", T),
        ("tracking", "PU", T + timedelta(minutes=5)),
        ("tracking", "DEP", T + timedelta(minutes=10)),
        ("state_changed", "cancelled", T + timedelta(minutes=30)),
    ]


def test_the_merchant_sees_who_and_why_and_the_buyer_sees_neither(merchant):
    order = create_order(merchant_id=merchant.pk)
    order_cancel(merchant_id=merchant.pk, order_id=order.pk, actor="ops:alice", reason="suspected fraud")

    merchant_view = order_timeline(order=order)
    buyer_view = buyer_tracking(number=order.number, postal_code=order.recipient_postal_code)

    assert (merchant_view[-1].title, merchant_view[-1].actor, merchant_view[-1].reason) == (
        "Cancelled",
        "ops:alice",
        "suspected fraud",
    )
    assert [str(entry.headline) for entry in buyer_view.timeline] == ["The shop has announced your parcel", "Cancelled"]
    assert "ops:alice" not in repr(buyer_view) and "suspected fraud" not in repr(buyer_view)


def test_a_long_timeline_takes_no_more_queries_than_a_short_one(merchant):
    short, short_leg = _booked_order(merchant)
    long, long_leg = _booked_order(merchant)
    tracking_apply(distribution_order_id=short_leg.pk, updates=[_scan("S0", "in_transit", T)])
    tracking_apply(
        distribution_order_id=long_leg.pk,
        updates=[_scan(f"S{n}", "in_transit", T + timedelta(minutes=n)) for n in range(30)],
    )

    with CaptureQueriesContext(connection) as short_queries:
        order_timeline(order=short)
    with CaptureQueriesContext(connection) as long_queries:
        assert len(order_timeline(order=long)) == 31

    assert len(long_queries) == len(short_queries) <= 4
