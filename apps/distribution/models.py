import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from apps.common.carrier_progress import CarrierProgress
from apps.common.models import TransitionRecord


class DistributionState(models.TextChoices):
    CREATED = "created", "Created"
    BOOKING = "booking", "Booking"
    BOOKED = "booked", "Booked"
    PICKED_UP = "picked_up", "Picked up"
    IN_TRANSIT = "in_transit", "In transit"
    CUSTOMS_HOLD = "customs_hold", "Held in customs"
    OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
    DELIVERY_FAILED = "delivery_failed", "Delivery attempt failed"
    DELIVERED = "delivered", "Delivered"
    RETURNED = "returned", "Returned to sender"
    BOOKING_FAILED = "booking_failed", "Booking failed"
    EXCEPTION = "exception", "Exception"
    CANCELLED = "cancelled", "Cancelled"


S = DistributionState
# Once booked, the delivery follows the carrier's progress, the same machine as its order's.
CARRIER_PROGRESS = CarrierProgress(waiting=S.BOOKED, collected=S.PICKED_UP, collect="pick_up")
TRACKABLE = [S.BOOKED, *CARRIER_PROGRESS.in_carrier_hands]


class DistributionOrder(ConcurrentTransitionMixin, CARRIER_PROGRESS.transitions(), models.Model):
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
    # Where this delivery goes when not to the order's recipient: a line haul's origin hub (first mile).
    deliver_to = models.JSONField(default=dict, blank=True)
    # Where it leaves from when not the merchant's sender address (a warehouse), and the parcels
    # as the warehouse packed them (weight_g, length_mm, width_mm, height_mm) instead of the order's.
    ship_from = models.JSONField(default=dict, blank=True)
    packed_parcels = models.JSONField(default=list, blank=True)
    # The platform's documents (a label per parcel, the customs declaration) and the carrier's own label.
    label_pdf = models.BinaryField(blank=True, default=b"")
    carrier_label_pdf = models.BinaryField(blank=True, default=b"")
    booking_attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    booked_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True, help_text="Time of the last carrier event followed.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_poll_at"], condition=Q(next_poll_at__isnull=False), name="distribution_poll_due"
            ),
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

    @transition(field=state, source=[S.CREATED, S.BOOKING, S.BOOKED], target=S.CANCELLED)
    def cancel(self):
        """Called off before the carrier collected the parcel."""

    @transition(field=state, source=TRACKABLE, target=S.EXCEPTION)
    def flag_exception(self):
        """The carrier reported a problem a person must look at."""


class DistributionTransition(TransitionRecord):
    distribution_order = models.ForeignKey(DistributionOrder, on_delete=models.CASCADE, related_name="history")


class TrackingEvent(models.Model):
    """One scan or status from the carrier, normalized to a platform milestone and kept as sent."""

    class Milestone(models.TextChoices):
        INFO_RECEIVED = "info_received", _("Information received")
        PICKED_UP = "picked_up", _("Picked up")
        IN_TRANSIT = "in_transit", _("In transit")
        CUSTOMS_HOLD = "customs_hold", _("Held in customs")
        OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
        DELIVERY_FAILED = "delivery_failed", _("Delivery attempt failed")
        DELIVERED = "delivered", _("Delivered")
        RETURNED = "returned", _("Returned to sender")
        EXCEPTION = "exception", _("Exception")

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


class CarrierCall(models.Model):
    """One call to a carrier's system: what was asked, how it went, how long it took. No secrets."""

    class Outcome(models.TextChoices):
        OK = "ok", "OK"
        REFUSED = "refused", "Refused (4xx)"
        FAILED = "failed", "Failed (5xx, timeout, connection)"

    carrier_code = models.CharField(max_length=50)
    operation = models.CharField(max_length=20)
    distribution_order_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    duration_ms = models.PositiveIntegerField()
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["carrier_code", "-created_at"], name="carrier_call_recent")]

    def __str__(self) -> str:
        return f"{self.carrier_code} {self.operation} {self.outcome} {self.duration_ms} ms"


class CarrierWebhookConfig(models.Model):
    """The secret a carrier signs its tracking webhooks with (from the carrier's dashboard)."""

    carrier_code = models.SlugField(max_length=50, unique=True)
    secret = models.CharField(max_length=200)
    tolerance_seconds = models.PositiveIntegerField(default=300, help_text="How old a signed timestamp may be.")

    def __str__(self) -> str:
        return f"webhooks of {self.carrier_code}"
