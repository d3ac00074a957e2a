"""Scheduling turns news into lane work: bookings of accepted orders, voids of cancelled
deliveries, operations' retries; and it closes booking work when distribution reports its end."""

from apps.common import outbox
from apps.distribution.events import (
    DISTRIBUTION_ORDER_BOOKED,
    DISTRIBUTION_ORDER_BOOKING_FAILED,
    DISTRIBUTION_ORDER_CANCELLED,
    DISTRIBUTION_ORDER_LABEL_REQUESTED,
    DISTRIBUTION_ORDER_RETRY_REQUESTED,
    DISTRIBUTION_ORDER_VOID_REQUESTED,
)
from apps.fulfillment.events import FULFILLMENT_LEG_PLANNED
from apps.fulfillment.selectors import fulfillment_leg_is_last_mile, fulfillment_leg_is_split_part
from apps.orders.events import ORDER_ACCEPTED, ORDER_CANCELLED, ORDERS_ARCHIVED
from apps.scheduling.archiving import scheduling_archive_for_orders
from apps.scheduling.events import WORK_RELEASED
from apps.scheduling.models import WorkKind
from apps.scheduling.services import (
    lane_asn_enqueue,
    lane_book_retry,
    lane_call_enqueue,
    lane_enqueue,
    lane_entry_finish,
    lane_entry_withdraw,
    lane_leg_enqueue,
    lane_warehouse_order_enqueue,
    lane_work_plan,
    order_reroute_request,
)
from apps.scheduling.tasks import run_lane_work
from apps.warehouse.events import WAREHOUSE_ASN_CREATED, WAREHOUSE_ORDER_CHANGED


@outbox.on(ORDER_ACCEPTED)
def enqueue_accepted_order(event: outbox.Event) -> None:
    lane_enqueue(order_id=int(event.payload["order_id"]))


# Released work: its run is a task on the carriers queue (the call to the downstream); a booking's
# plan (fulfilment leg, order → in_fulfillment) is database work and is made at once here too, so
# the order shows its progress while its call waits for a rate token.
outbox.route(
    WORK_RELEASED,
    task=run_lane_work,
    kwargs=lambda event: {"work_id": event.payload["work_id"], "version": event.payload.get("version")},
    queue="carriers",
)


@outbox.on(WORK_RELEASED)
def plan_released_work(event: outbox.Event) -> None:
    if event.payload["kind"] == "book":
        lane_work_plan(work_id=int(event.payload["work_id"]))


@outbox.on(DISTRIBUTION_ORDER_BOOKED)
def free_slot_after_booking(event: outbox.Event) -> None:
    # Only that delivery's work: the parts of a split order are booked side by side.
    lane_entry_finish(
        order_id=int(event.payload["order_id"]),
        succeeded=True,
        distribution_order_id=int(event.payload["distribution_order_id"]),
    )


@outbox.on(DISTRIBUTION_ORDER_BOOKING_FAILED)
def reroute_after_failed_booking(event: outbox.Event) -> None:
    order_id, reason = int(event.payload["order_id"]), event.payload["reason"]
    delivery_id = int(event.payload["distribution_order_id"])
    lane_entry_finish(order_id=order_id, succeeded=False, reason=reason, distribution_order_id=delivery_id)
    if fulfillment_leg_is_last_mile(distribution_order_id=delivery_id):
        return  # the parcel waits at the destination hub: fulfilment flags it for a person
    if fulfillment_leg_is_split_part(distribution_order_id=delivery_id):
        return  # one part of a split order: fulfilment flags it for a person
    # The slot is free before the request goes out, so the new entry never meets the old one.
    order_reroute_request(
        order_id=order_id,
        merchant_id=event.merchant_id,
        reason=f"booking at {event.payload['carrier_code']} failed: {reason}",
    )


# What a warehouse order's state asks of its WMS.
_WMS_CALL_FOR = {"allocated": WorkKind.WMS_SUBMIT, "cancel_requested": WorkKind.WMS_CANCEL}


@outbox.on(WAREHOUSE_ORDER_CHANGED)
def call_the_wms(event: outbox.Event) -> None:
    kind = _WMS_CALL_FOR.get(event.payload["state"])
    if kind is not None:
        lane_warehouse_order_enqueue(
            warehouse_order_id=int(event.payload["warehouse_order_id"]),
            kind=kind,
            actor=event.actor or "system:scheduling",
        )


@outbox.on(WAREHOUSE_ASN_CREATED)
def announce_asn(event: outbox.Event) -> None:
    lane_asn_enqueue(
        asn_id=int(event.payload["asn_id"]),
        warehouse_code=event.payload["warehouse_code"],
        merchant_id=int(event.payload["merchant_id"]),
        actor=event.actor or "system:scheduling",
    )


@outbox.on(FULFILLMENT_LEG_PLANNED)
def book_planned_leg(event: outbox.Event) -> None:
    lane_leg_enqueue(
        distribution_order_id=int(event.payload["distribution_order_id"]), actor=event.actor or "system:scheduling"
    )


@outbox.on(DISTRIBUTION_ORDER_RETRY_REQUESTED)
def book_again_on_request(event: outbox.Event) -> None:
    lane_book_retry(distribution_order_id=int(event.payload["distribution_order_id"]), actor=event.actor)


@outbox.on(ORDER_CANCELLED)
def withdraw_cancelled_order(event: outbox.Event) -> None:
    lane_entry_withdraw(order_id=int(event.payload["order_id"]), reason="order cancelled")


@outbox.on(DISTRIBUTION_ORDER_CANCELLED)
def free_slot_after_cancellation(event: outbox.Event) -> None:
    lane_entry_finish(
        order_id=int(event.payload["order_id"]),
        succeeded=False,
        reason="cancelled",
        distribution_order_id=int(event.payload["distribution_order_id"]),
    )


def _call_about_delivery(event: outbox.Event, kind: str) -> None:
    if event.payload.get("tracking_number"):  # nothing was booked at the carrier: nothing to ask it
        lane_call_enqueue(
            kind=kind,
            distribution_order_id=int(event.payload["distribution_order_id"]),
            order_id=int(event.payload["order_id"]),
            merchant_id=event.merchant_id or 0,
            carrier_code=event.payload["carrier_code"],
            actor=event.actor or "system:scheduling",
        )


@outbox.on(DISTRIBUTION_ORDER_CANCELLED)
def void_cancelled_delivery(event: outbox.Event) -> None:
    _call_about_delivery(event, WorkKind.VOID)


@outbox.on(DISTRIBUTION_ORDER_VOID_REQUESTED)
def void_late_booking(event: outbox.Event) -> None:
    _call_about_delivery(event, WorkKind.VOID)


@outbox.on(DISTRIBUTION_ORDER_LABEL_REQUESTED)
def fetch_carrier_label(event: outbox.Event) -> None:
    _call_about_delivery(event, WorkKind.LABEL)


@outbox.on(ORDERS_ARCHIVED)
def archive_with_the_orders(event: outbox.Event) -> None:
    scheduling_archive_for_orders(order_ids=[int(i) for i in event.payload["order_ids"]])
