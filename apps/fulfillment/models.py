from django.db import models
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from apps.common.models import TransitionRecord


class FulfillmentState(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


S = FulfillmentState


class FulfillmentOrder(ConcurrentTransitionMixin, models.Model):
    """How one logistics order is being fulfilled: the legs that carry it to the recipient."""

    order_id = models.BigIntegerField(unique=True)
    merchant_id = models.BigIntegerField(db_index=True)
    state = FSMField(default=S.IN_PROGRESS, choices=S.choices, protected=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"fulfilment of order {self.order_id}"

    @transition(field=state, source=S.IN_PROGRESS, target=S.COMPLETED)
    def complete(self):
        """Every leg has done its part."""

    @transition(field=state, source=S.IN_PROGRESS, target=S.FAILED)
    def fail(self):
        """A leg failed and nothing else can carry the order."""

    @transition(field=state, source=S.FAILED, target=S.IN_PROGRESS)
    def replan(self):
        """The order was re-routed: a new leg carries it."""

    @transition(field=state, source=[S.IN_PROGRESS, S.FAILED], target=S.CANCELLED)
    def cancel(self):
        """The order was called back."""


class FulfillmentLeg(models.Model):
    """One step of the plan, carried out by a lower center (a warehouse order or a distribution order)."""

    class Kind(models.TextChoices):
        WAREHOUSE = "warehouse", "Warehouse order"
        DISTRIBUTION = "distribution", "Distribution order"

    fulfillment_order = models.ForeignKey(FulfillmentOrder, on_delete=models.CASCADE, related_name="legs")
    merchant_id = models.BigIntegerField()
    sequence = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    leg_id = models.BigIntegerField(help_text="The id of the warehouse or distribution order.")
    state = models.CharField(max_length=30, help_text="The leg's state as last reported by its center.")
    reported_version = models.PositiveIntegerField(default=0, help_text="The leg's version that state is from.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["fulfillment_order", "sequence"]
        constraints = [models.UniqueConstraint(fields=["kind", "leg_id"], name="leg_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.leg_id} ({self.state})"


class FulfillmentTransition(TransitionRecord):
    fulfillment_order = models.ForeignKey(FulfillmentOrder, on_delete=models.CASCADE, related_name="history")
