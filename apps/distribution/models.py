import uuid

from django.db import models
from django.db.models import Q
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from apps.common.models import TransitionRecord


class DistributionState(models.TextChoices):
    CREATED = "created", "Created"
    BOOKING = "booking", "Booking"
    BOOKED = "booked", "Booked"
    PICKED_UP = "picked_up", "Picked up"
    IN_TRANSIT = "in_transit", "In transit"
    OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
    DELIVERED = "delivered", "Delivered"
    BOOKING_FAILED = "booking_failed", "Booking failed"
    EXCEPTION = "exception", "Exception"
    CANCELLED = "cancelled", "Cancelled"


S = DistributionState
TRACKABLE = [S.BOOKED, S.PICKED_UP, S.IN_TRANSIT, S.OUT_FOR_DELIVERY]


class DistributionOrder(ConcurrentTransitionMixin, models.Model):
    """One real-world delivery by one carrier service."""

    order_id = models.BigIntegerField(db_index=True)
    merchant_id = models.BigIntegerField(db_index=True)
    carrier_code = models.CharField(max_length=50)
    service_code = models.CharField(max_length=50)
    state = FSMField(default=S.CREATED, choices=S.choices, protected=True, db_index=True)
    version = models.PositiveIntegerField(default=1)
    # Sent with every booking call, so that a retried call finds the first shipment, not a new one.
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tracking_number = models.CharField(max_length=64, blank=True)
    label_pdf = models.BinaryField(blank=True, default=b"")
    booking_attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    booked_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["next_poll_at"], condition=Q(next_poll_at__isnull=False), name="distribution_poll_due"),
            models.Index(fields=["carrier_code", "tracking_number"], name="distribution_tracking"),
        ]

    def __str__(self) -> str:
        return f"distribution {self.pk} ({self.carrier_code}, {self.state})"

    @transition(field=state, source=[S.CREATED, S.BOOKING], target=S.BOOKING)
    def start_booking(self):
        """A booking call is about to go out (again, after a retry or a lost worker)."""

    @transition(field=state, source=S.BOOKING, target=S.BOOKED)
    def mark_booked(self):
        """The carrier accepted the shipment and gave a tracking number and a label."""

    @transition(field=state, source=[S.CREATED, S.BOOKING], target=S.BOOKING_FAILED)
    def fail_booking(self):
        """The carrier refused for good, or every retry failed."""

    @transition(field=state, source=S.BOOKED, target=S.PICKED_UP)
    def pick_up(self):
        """The carrier collected the parcel."""

    @transition(field=state, source=S.PICKED_UP, target=S.IN_TRANSIT)
    def depart(self):
        """The parcel is moving through the carrier's network."""

    @transition(field=state, source=S.IN_TRANSIT, target=S.OUT_FOR_DELIVERY)
    def dispatch_for_delivery(self):
        """On the van to the recipient."""

    @transition(field=state, source=S.OUT_FOR_DELIVERY, target=S.DELIVERED)
    def deliver(self):
        """The recipient has it."""

    @transition(field=state, source=[S.CREATED, S.BOOKING, S.BOOKED], target=S.CANCELLED)
    def cancel(self):
        """Called off before the carrier collected the parcel."""

    @transition(field=state, source=[S.BOOKED, S.PICKED_UP, S.IN_TRANSIT, S.OUT_FOR_DELIVERY], target=S.EXCEPTION)
    def flag_exception(self):
        """The carrier reported a problem a person must look at."""


class DistributionTransition(TransitionRecord):
    distribution_order = models.ForeignKey(DistributionOrder, on_delete=models.CASCADE, related_name="history")


class TrackingEvent(models.Model):
    """One scan or status from the carrier, normalized to a platform milestone and kept as sent."""

    class Milestone(models.TextChoices):
        INFO_RECEIVED = "info_received", "Information received"
        PICKED_UP = "picked_up", "Picked up"
        IN_TRANSIT = "in_transit", "In transit"
        OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
        DELIVERED = "delivered", "Delivered"
        EXCEPTION = "exception", "Exception"

    distribution_order = models.ForeignKey(DistributionOrder, on_delete=models.CASCADE, related_name="tracking_events")
    merchant_id = models.BigIntegerField()
    order_id = models.BigIntegerField(db_index=True)
    milestone = models.CharField(max_length=20, choices=Milestone.choices)
    carrier_status = models.CharField(max_length=50)
    description = models.CharField(max_length=300, blank=True)
    location = models.CharField(max_length=200, blank=True)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["distribution_order", "carrier_status", "occurred_at"], name="tracking_event_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.milestone} at {self.occurred_at:%Y-%m-%d %H:%M}"
