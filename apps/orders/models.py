from dataclasses import dataclass
from functools import cached_property

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from apps.common.archive import instance_from_row
from apps.common.carrier_progress import CarrierProgress
from apps.common.ids import new_id
from apps.common.models import TransitionRecord
from apps.orders import numbers


class OrderState(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    SCHEDULED = "scheduled", _("Scheduled")
    IN_FULFILLMENT = "in_fulfillment", _("In fulfilment")
    HANDED_OVER = "handed_over", _("Handed to carrier")
    IN_TRANSIT = "in_transit", _("In transit")
    CUSTOMS_HOLD = "customs_hold", _("Held in customs")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    DELIVERY_FAILED = "delivery_failed", _("Delivery attempt failed")
    DELIVERED = "delivered", _("Delivered")
    RETURNED = "returned", _("Returned to sender")
    EXCEPTION = "exception", _("Exception")
    CANCELLED = "cancelled", _("Cancelled")


S = OrderState
# Before hand-over the parcel is still ours to call back; after it, only the carrier has it.
CANCELLABLE = [S.ACCEPTED, S.SCHEDULED, S.IN_FULFILLMENT]
FINAL = frozenset({S.DELIVERED, S.CANCELLED, S.RETURNED})
CLOSED_STATES = sorted(state.value for state in FINAL)  # plain strings, as migrations and SQL want them
# From hand-over on, the order follows the carrier's progress, the same machine as its delivery leg's.
CARRIER_PROGRESS = CarrierProgress(waiting=S.IN_FULFILLMENT, collected=S.HANDED_OVER, collect="hand_over")


# Channels through which one request brings many orders (the ERP API's bulk endpoint, a
# spreadsheet import): their news is marked bulk, so it waits behind other merchants' single
# orders rather than ahead of them (apps.common.outbox, docs/outbox.md).
BULK_CHANNELS = frozenset({"api_bulk", "import"})


class OrderRecord(models.Model):
    """What an order says, shared by the live order and its archived copy (same columns)."""

    reference = models.CharField(max_length=100, blank=True)
    service_level = models.CharField(max_length=20, default="standard")
    channel = models.CharField(max_length=20, default="api")
    version = models.PositiveIntegerField(default=1)

    sender_name = models.CharField(max_length=200)
    sender_company = models.CharField(max_length=200, blank=True)
    sender_line1 = models.CharField(max_length=200)
    sender_line2 = models.CharField(max_length=200, blank=True)
    sender_city = models.CharField(max_length=100)
    sender_state = models.CharField(max_length=100, blank=True)
    sender_postal_code = models.CharField(max_length=20)
    sender_country = models.CharField(max_length=2)
    sender_phone = models.CharField(max_length=30, blank=True)
    sender_email = models.EmailField(blank=True)
    # As the country's postal data writes it (shipping.addresses), beside what was typed above.
    # A database default too, so that rows written by SQL (the archive's copy, bulk loads) get one.
    sender_normalized = models.JSONField(default=dict, blank=True, db_default=models.Value({}, models.JSONField()))

    recipient_name = models.CharField(max_length=200)
    recipient_company = models.CharField(max_length=200, blank=True)
    recipient_line1 = models.CharField(max_length=200)
    recipient_line2 = models.CharField(max_length=200, blank=True)
    recipient_city = models.CharField(max_length=100)
    recipient_state = models.CharField(max_length=100, blank=True)
    recipient_postal_code = models.CharField(max_length=20)
    recipient_country = models.CharField(max_length=2)
    recipient_phone = models.CharField(max_length=30, blank=True)
    recipient_email = models.EmailField(blank=True)
    recipient_normalized = models.JSONField(default=dict, blank=True, db_default=models.Value({}, models.JSONField()))

    carrier_code = models.CharField(max_length=50, blank=True)
    service_code = models.CharField(max_length=50, blank=True)
    warehouse_code = models.CharField(max_length=50, blank=True)
    quoted_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    quoted_currency = models.CharField(max_length=3, blank=True)
    route_explanation = models.JSONField(default=dict, blank=True)
    tracking_number = models.CharField(max_length=64, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return numbers.encode(self.id)

    @property
    def is_cross_border(self) -> bool:
        return self.sender_country != self.recipient_country

    @property
    def is_final(self) -> bool:
        return self.state in FINAL


class Order(ConcurrentTransitionMixin, CARRIER_PROGRESS.transitions(), OrderRecord):
    """A merchant's logistics order: what goes from whom to whom, and how far it has got."""

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="orders")
    state = FSMField(default=S.ACCEPTED, choices=S.choices, protected=True, db_index=True)

    is_archived = False

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "reference"], condition=~Q(reference=""), name="order_reference_unique"
            ),
        ]
        # Every seller query leads with the merchant (the sharding key) and pages by id, which is
        # time-ordered, so created-at ranges become id ranges (see apps.orders.filters).
        indexes = [
            models.Index(fields=["merchant", "-id"], name="order_merchant_recent"),
            models.Index(fields=["merchant", "state", "-id"], name="order_merchant_state"),
            models.Index(fields=["merchant", "recipient_country", "-id"], name="order_merchant_destination"),
            models.Index(fields=["merchant", "carrier_code", "-id"], name="order_merchant_carrier"),
            models.Index(fields=["merchant", "service_level", "-id"], name="order_merchant_service"),
            models.Index(Upper("recipient_email"), "merchant", name="order_recipient_email"),
            models.Index(fields=["recipient_phone", "merchant"], name="order_recipient_phone"),
            # A search by name is `UPPER(name) LIKE '%...%'` (icontains): trigrams of the upper-cased
            # name. Not led by the merchant (btree_gin): psycopg sends a small merchant id as a
            # smallint, which a btree_gin bigint column cannot compare with before PostgreSQL 18.
            GinIndex(OpClass(Upper("recipient_name"), name="gin_trgm_ops"), name="order_recipient_name_search"),
            models.Index(fields=["tracking_number"], condition=~Q(tracking_number=""), name="order_tracking"),
            # The merchant's dashboard reads the week's deliveries (on-time rate). A delivered order
            # changes no more, so its updated_at is its delivery; only delivered rows are indexed.
            models.Index(
                fields=["merchant", "updated_at"], condition=Q(state="delivered"), name="order_merchant_delivered"
            ),
            # The archiving job walks closed orders oldest first.
            models.Index(
                fields=["id"], condition=Q(state__in=["cancelled", "delivered", "returned"]), name="order_closed"
            ),
        ]

    @transition(field=state, source=S.ACCEPTED, target=S.SCHEDULED)
    def schedule(self):
        """Placed on the lane of its first downstream system."""

    @transition(field=state, source=[S.SCHEDULED, S.EXCEPTION], target=S.IN_FULFILLMENT)
    def start_fulfillment(self):
        """Released by scheduling (or re-routed after an exception); its legs are being booked."""

    @transition(field=state, source=[S.SCHEDULED, S.IN_FULFILLMENT, S.EXCEPTION], target=S.SCHEDULED)
    def reroute(self):
        """Routed to another carrier service (its booking failed for good, or operations chose to):
        back on a lane, on the new carrier's."""

    @transition(field=state, source=CANCELLABLE, target=S.CANCELLED)
    def cancel(self):
        """Called back before hand-over; its legs are cancelled too."""

    @transition(
        field=state, source=[S.SCHEDULED, S.IN_FULFILLMENT, *CARRIER_PROGRESS.in_carrier_hands], target=S.EXCEPTION
    )
    def flag_exception(self):
        """Something went wrong that a person must look at."""


class Parcel(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="parcels")
    merchant_id = models.BigIntegerField()
    sequence = models.PositiveSmallIntegerField()
    weight_g = models.PositiveIntegerField()
    length_mm = models.PositiveIntegerField()
    width_mm = models.PositiveIntegerField()
    height_mm = models.PositiveIntegerField()

    class Meta:
        ordering = ["order", "sequence"]
        constraints = [models.UniqueConstraint(fields=["order", "sequence"], name="parcel_sequence_unique")]

    def __str__(self) -> str:
        return f"parcel {self.sequence} of {self.order_id}"


class Item(models.Model):
    parcel = models.ForeignKey(Parcel, on_delete=models.CASCADE, related_name="items")
    merchant_id = models.BigIntegerField()
    description = models.CharField(max_length=200)
    sku = models.CharField(max_length=64, blank=True)
    quantity = models.PositiveIntegerField()
    unit_value = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    hs_code = models.CharField(max_length=12)
    origin_country = models.CharField(max_length=2)

    def __str__(self) -> str:
        return f"{self.quantity} x {self.description}"


class OrderTransition(TransitionRecord):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history")

    class Meta(TransitionRecord.Meta):
        indexes = [models.Index(fields=["order", "occurred_at"], name="order_history")]


class ArchivedOrder(OrderRecord):
    """A closed order moved out of the hot tables (see apps.orders.archiving): the same columns,
    with its parcels, items and history kept as one JSON document. Read-only."""

    id = models.BigIntegerField(primary_key=True)
    merchant_id = models.BigIntegerField()
    state = models.CharField(max_length=30, choices=S.choices)
    document = models.JSONField()
    archived_at = models.DateTimeField(auto_now_add=True)

    is_archived = True

    class Meta:
        indexes = [
            models.Index(fields=["merchant_id", "-id"], name="archived_order_merchant"),
            models.Index(fields=["merchant_id", "state", "-id"], name="archived_order_state"),
            models.Index(fields=["merchant_id", "reference"], name="archived_order_reference"),
            models.Index(fields=["tracking_number"], condition=~Q(tracking_number=""), name="archived_order_tracking"),
        ]

    @cached_property
    def parcels(self) -> "ArchivedRows":
        """The parcels as they were, each with its `items`, read like the live order's."""
        return ArchivedRows(
            ArchivedParcel(
                sequence=p["sequence"],
                weight_g=p["weight_g"],
                length_mm=p["length_mm"],
                width_mm=p["width_mm"],
                height_mm=p["height_mm"],
                items=ArchivedRows(instance_from_row(Item, item) for item in p["items"]),
            )
            for p in self.document["parcels"]
        )

    def history(self) -> list[OrderTransition]:
        return [instance_from_row(OrderTransition, step) for step in self.document["history"]]


class ArchivedRows(list):
    """Rows of an archived order; `.all()` reads like a related manager's, for shared templates."""

    def all(self) -> "ArchivedRows":
        return self


@dataclass(frozen=True)
class ArchivedParcel:
    sequence: int
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    items: ArchivedRows
