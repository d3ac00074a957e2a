from django.db import models
from django.db.models import Q
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from apps.common.ids import new_id
from apps.common.models import TransitionRecord
from apps.orders import numbers


class OrderState(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    SCHEDULED = "scheduled", "Scheduled"
    IN_FULFILLMENT = "in_fulfillment", "In fulfilment"
    IN_TRANSIT = "in_transit", "In transit"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"
    EXCEPTION = "exception", "Exception"


S = OrderState
# Before hand-over the parcel is still ours to call back; after it, only the carrier has it.
CANCELLABLE = [S.ACCEPTED, S.SCHEDULED, S.IN_FULFILLMENT]
FINAL = frozenset({S.DELIVERED, S.CANCELLED})


class Order(ConcurrentTransitionMixin, models.Model):
    """A merchant's logistics order: what goes from whom to whom, and how far it has got."""

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="orders")
    reference = models.CharField(max_length=100, blank=True)
    service_level = models.CharField(max_length=20, default="standard")
    channel = models.CharField(max_length=20, default="api")
    state = FSMField(default=S.ACCEPTED, choices=S.choices, protected=True, db_index=True)
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
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "reference"], condition=~Q(reference=""), name="order_reference_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["merchant", "-id"], name="order_merchant_recent"),
            models.Index(fields=["tracking_number"], condition=~Q(tracking_number=""), name="order_tracking"),
        ]

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

    @transition(field=state, source=S.ACCEPTED, target=S.SCHEDULED)
    def schedule(self):
        """Placed on the lane of its first downstream system."""

    @transition(field=state, source=S.SCHEDULED, target=S.IN_FULFILLMENT)
    def start_fulfillment(self):
        """Released by scheduling; its legs exist and are being booked."""

    @transition(field=state, source=S.IN_FULFILLMENT, target=S.IN_TRANSIT)
    def hand_over(self):
        """The carrier has the parcel."""

    @transition(field=state, source=S.IN_TRANSIT, target=S.DELIVERED)
    def deliver(self):
        """The recipient has the parcel."""

    @transition(field=state, source=CANCELLABLE, target=S.CANCELLED)
    def cancel(self):
        """Called back before hand-over."""

    @transition(field=state, source=[S.SCHEDULED, S.IN_FULFILLMENT, S.IN_TRANSIT], target=S.EXCEPTION)
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
        return f"{self.quantity} × {self.description}"


class OrderTransition(TransitionRecord):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history")

    class Meta(TransitionRecord.Meta):
        indexes = [models.Index(fields=["order", "occurred_at"], name="order_history")]
