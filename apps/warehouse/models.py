from django.db import models
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from apps.common.models import TransitionRecord


class WarehouseOrderState(models.TextChoices):
    CREATED = "created", "Created"
    SENT = "sent", "Sent to warehouse"
    PICKED = "picked", "Picked"
    PACKED = "packed", "Packed"
    HANDED_OVER = "handed_over", "Handed to carrier"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


S = WarehouseOrderState


class WarehouseOrder(ConcurrentTransitionMixin, models.Model):
    """An instruction to an external warehouse to pick, pack and hand over an order's goods."""

    order_id = models.BigIntegerField(db_index=True)
    merchant_id = models.BigIntegerField(db_index=True)
    warehouse_code = models.CharField(max_length=50)
    state = FSMField(default=S.CREATED, choices=S.choices, protected=True)
    version = models.PositiveIntegerField(default=1)
    external_reference = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"warehouse order {self.pk} at {self.warehouse_code} ({self.state})"

    @transition(field=state, source=S.CREATED, target=S.SENT)
    def send(self):
        """The warehouse system accepted the instruction."""

    @transition(field=state, source=S.SENT, target=S.PICKED)
    def pick(self):
        """Goods taken from the shelf."""

    @transition(field=state, source=S.PICKED, target=S.PACKED)
    def pack(self):
        """Goods boxed and labelled."""

    @transition(field=state, source=S.PACKED, target=S.HANDED_OVER)
    def hand_over(self):
        """The carrier collected the parcel at the warehouse."""

    @transition(field=state, source=[S.CREATED, S.SENT], target=S.FAILED)
    def fail(self):
        """The warehouse refused or could not fulfil."""

    @transition(field=state, source=[S.CREATED, S.SENT, S.PICKED], target=S.CANCELLED)
    def cancel(self):
        """Called back before packing."""


class WarehouseOrderTransition(TransitionRecord):
    warehouse_order = models.ForeignKey(WarehouseOrder, on_delete=models.CASCADE, related_name="history")


class StockLevel(models.Model):
    """How many of a merchant's SKU a warehouse holds, and how many are promised to orders."""

    merchant_id = models.BigIntegerField()
    warehouse_code = models.CharField(max_length=50)
    sku = models.CharField(max_length=64)
    on_hand = models.PositiveIntegerField(default=0)
    reserved = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant_id", "warehouse_code", "sku"], name="stock_once"),
            models.CheckConstraint(condition=models.Q(reserved__lte=models.F("on_hand")), name="reserve_within_stock"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} at {self.warehouse_code}: {self.on_hand} ({self.reserved} reserved)"
