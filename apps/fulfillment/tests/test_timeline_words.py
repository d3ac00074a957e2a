"""The timeline people read (fulfillment.timeline_words): human sentences in the reader's
language, no internal actor, lane or system names, and each step once."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import translation

from apps.distribution.gateways import TrackingUpdate
from apps.distribution.services import distribution_order_book, distribution_order_create, tracking_apply
from apps.distribution.tests.test_distribution_services import FixedGateway
from apps.fulfillment.selectors import order_timeline
from apps.fulfillment.timeline_words import buyer_timeline, merchant_timeline
from apps.fulfillment.types import OrderTimelineEntry, TimelineKind
from apps.orders.services import order_advance, order_create, order_schedule, order_start_fulfillment
from apps.orders.tests.factories import fixed_route, order_draft

T = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
INTERNAL = ("user:", "system:", "lane", "carrier:", "scheduling", "api-key:", "received via", "released to")


def _said(lines) -> list[tuple[str, str]]:
    return [(str(line.headline), str(line.detail)) for line in lines]


def _journey(merchant, *, user_id: int):
    """An order taken in the portal by user `user_id`, queued on its carrier's lane, booked, and
    followed by the carrier to the door; the order's state follows each milestone as the news
    arrives (a little after it happened), as fulfilment moves it."""
    with time_machine.travel(T, tick=False):
        order = order_create(
            merchant_id=merchant.pk,
            draft=order_draft(reference="J-1"),
            route=fixed_route(),
            actor=f"user:{user_id}",
            channel="portal",
        )
        order_schedule(order_id=order.pk, lane="carrier:euro-post", actor="system:scheduling")
        order_start_fulfillment(order_id=order.pk, actor="system:scheduling")
        leg = distribution_order_create(
            order_id=order.pk, merchant_id=merchant.pk, carrier_code="test-post", service_code="standard", actor="t"
        )
        distribution_order_book(distribution_order_id=leg.pk, gateway=FixedGateway())
    for minutes, status, milestone, state in [
        (60, "PU", "picked_up", "handed_over"),
        (120, "DEP", "in_transit", "in_transit"),
        (180, "OFD", "out_for_delivery", "out_for_delivery"),
        (240, "DLV", "delivered", "delivered"),
    ]:
        at = T + timedelta(minutes=minutes)
        with time_machine.travel(at + timedelta(minutes=2), tick=False):
            tracking_apply(
                distribution_order_id=leg.pk,
                updates=[TrackingUpdate(milestone, status, f"Carrier says {status}", "Berlin, DE", at)],
            )
            order_advance(
                order_id=order.pk, target=state, actor="system:fulfillment", reason=f"carrier reports {milestone}"
            )
    return order


@pytest.mark.clock
def test_the_merchant_reads_each_step_once_in_plain_words_without_internal_names(merchant, cn_de_service):
    order = _journey(merchant, user_id=2)

    lines = merchant_timeline(order_timeline(order=order))

    assert _said(lines) == [
        ("Order accepted", "in the portal"),
        ("Waiting for the carrier's booking", ""),
        ("Being prepared for the carrier", ""),
        ("Picked up by the carrier", "Carrier says PU"),
        ("In transit", "Carrier says DEP"),
        ("Out for delivery", "Carrier says OFD"),
        ("Delivered", "Carrier says DLV"),
    ]
    assert [str(line.who) for line in lines][:3] == ["you", "", ""]
    shown = repr([(str(line.headline), str(line.detail), line.location, str(line.who)) for line in lines])
    assert not any(word in shown for word in INTERNAL)


@pytest.mark.clock
def test_the_buyer_reads_the_journey_in_their_language_without_internal_steps(merchant, cn_de_service):
    order = _journey(merchant, user_id=2)
    entries = order_timeline(order=order)

    english = buyer_timeline(entries)
    with translation.override("de"):
        german = [str(line.headline) for line in buyer_timeline(entries)]
    with translation.override("zh-hans"):
        chinese = [str(line.headline) for line in buyer_timeline(entries)]

    assert [str(line.headline) for line in english] == [
        "The shop has announced your parcel",
        "Picked up by the carrier",
        "In transit",
        "Out for delivery",
        "Delivered",
    ]
    assert all(line.who == "" for line in english)
    assert german == [
        "Der Shop hat Ihr Paket angemeldet",
        "Vom Versanddienstleister abgeholt",
        "Unterwegs",
        "In Zustellung",
        "Zugestellt",
    ]
    assert chinese == ["商家已登记您的包裹", "承运商已揽收", "运输中", "派送中", "已签收"]


def _entry(kind, at, **fields) -> OrderTimelineEntry:
    return OrderTimelineEntry(
        occurred_at=T + timedelta(minutes=at), kind=kind, title=fields.pop("title", ""), row_id=at, **fields
    )


def test_a_step_the_order_walked_without_carrier_news_is_kept_and_a_repeated_event_shown_once():
    entries = (
        _entry(TimelineKind.STATE_CHANGED, 0, state="accepted", actor="api-key:7", reason="received via api"),
        _entry(TimelineKind.TRACKING, 10, milestone="delivered", title="Delivered", location="Berlin"),
        _entry(TimelineKind.TRACKING, 11, milestone="delivered", title="Delivered", location="Berlin"),
        # news of delivery walked the order through every state in between, at the same instant
        _entry(TimelineKind.STATE_CHANGED, 12, state="handed_over", previous_state="in_fulfillment"),
        _entry(TimelineKind.STATE_CHANGED, 12, state="in_transit", previous_state="handed_over"),
        _entry(TimelineKind.STATE_CHANGED, 12, state="delivered", previous_state="in_transit"),
    )

    assert _said(merchant_timeline(entries)) == [
        ("Order accepted", "through the API"),
        ("Delivered", ""),
        ("Handed to the carrier", ""),
        ("In transit", ""),
    ]
    assert str(merchant_timeline(entries)[0].who) == "your system, through the API"


def test_the_first_mile_to_the_hub_is_not_the_buyers_delivery_and_a_reroute_is_one_line():
    entries = (
        _entry(TimelineKind.STATE_CHANGED, 0, state="accepted", reason="received via portal"),
        _entry(
            TimelineKind.STATE_CHANGED,
            1,
            state="scheduled",
            previous_state="accepted",
            reason="queued on lane carrier:a",
        ),
        _entry(
            TimelineKind.STATE_CHANGED,
            2,
            state="scheduled",
            previous_state="scheduled",
            reason="booking failed; re-routed from a/x to b/y",
            actor="system:scheduling",
        ),
        _entry(TimelineKind.TRACKING, 3, milestone="delivered", title="Delivered", leg_role="first_mile"),
        _entry(TimelineKind.STATE_CHANGED, 4, state="in_transit", previous_state="handed_over"),
        _entry(
            TimelineKind.TRACKING,
            5,
            milestone="info_received",
            title="Shipment info",
            carrier_words="Shipment info",
            leg_role="last_mile",
        ),
        _entry(TimelineKind.STATE_CHANGED, 6, state="exception", reason="de-last: address unknown", actor="ops:ann"),
    )

    merchant = merchant_timeline(entries)
    assert _said(merchant) == [
        ("Order accepted", "in the portal"),
        ("Waiting for the carrier's booking", ""),
        ("Moved to another carrier", ""),
        ("Arrived at the consolidation hub", ""),
        ("In transit", ""),
        ("Handed to the delivery carrier in the destination country", "Shipment info"),
        ("Needs your attention", "de-last: address unknown"),
    ]
    assert str(merchant[-1].who) == "our operations team"
    assert _said(buyer_timeline(entries)) == [
        ("The shop has announced your parcel", ""),
        ("Arrived at the consolidation hub", ""),
        ("In transit", ""),
        ("Handed to the delivery carrier in the destination country", "Shipment info"),
        ("Delayed: the shop is looking into it", ""),
    ]


def test_the_portals_order_page_shows_the_human_timeline(client, merchant, merchant_user, cn_de_service):
    order = _journey(merchant, user_id=merchant_user.pk)
    client.force_login(merchant_user)

    page = client.get(f"/orders/{order.number}/").content.decode()
    timeline = page[page.index('id="timeline"') :]

    assert "Picked up by the carrier" in timeline and "Order accepted" in timeline
    assert timeline.count("<li>") == 7
    assert not any(word in timeline for word in INTERNAL)
    with translation.override("zh-hans"):
        client.cookies["django_language"] = "zh-hans"
        chinese = client.get(f"/orders/{order.number}/").content.decode()
    assert "承运商已揽收" in chinese and "订单已受理" in chinese and "通过商家后台" in chinese
