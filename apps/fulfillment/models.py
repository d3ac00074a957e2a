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
    line_haul_code = models.CharField(
        max_length=50, blank=True, help_text="Set when the plan is first mile, line haul and last mile."
    )
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
        LINE_HAUL = "line_haul", "Parcel in a line haul container"

    class Role(models.TextChoices):
        CARRIER = "carrier", "Carrier, the whole way"
        WAREHOUSE = "warehouse", "Warehouse: pick and pack"
        FIRST_MILE = "first_mile", "First mile, to the origin hub"
        LINE_HAUL = "line_haul", "Line haul, hub to hub"
        LAST_MILE = "last_mile", "Last mile, by the destination carrier"

    fulfillment_order = models.ForeignKey(FulfillmentOrder, on_delete=models.CASCADE, related_name="legs")
    merchant_id = models.BigIntegerField()
    sequence = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CARRIER)
    leg_id = models.BigIntegerField(help_text="The id of the warehouse order, distribution order or container parcel.")
    state = models.CharField(max_length=30, help_text="The leg's state as last reported by its center.")
    part = models.PositiveSmallIntegerField(
        default=0,
        help_text="An order split across warehouses: the part (1, 2, ...) this leg carries; 0 for the whole order.",
    )
    reported_version = models.PositiveIntegerField(default=0, help_text="The leg's version that state is from.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["fulfillment_order", "sequence"]
        constraints = [models.UniqueConstraint(fields=["kind", "leg_id"], name="leg_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.leg_id} ({self.state})"


class FulfillmentTransition(TransitionRecord):
    fulfillment_order = models.ForeignKey(FulfillmentOrder, on_delete=models.CASCADE, related_name="history")


class ConsolidationState(models.TextChoices):
    OPEN = "open", "Open: taking parcels"
    CLOSED = "closed", "Closed: its cut-off passed"
    DEPARTED = "departed", "Departed the origin hub"
    ARRIVED = "arrived", "Arrived at the destination hub"


C = ConsolidationState


class Consolidation(ConcurrentTransitionMixin, models.Model):
    """One container of a line haul: the parcels that reached the origin hub before its cut-off,
    crossing together to the destination hub on its departure day."""

    line_haul_code = models.CharField(max_length=50)
    departs_on = models.DateField()
    closes_at = models.DateTimeField()
    state = FSMField(default=C.OPEN, choices=C.choices, protected=True)
    version = models.PositiveIntegerField(default=1)
    container_number = models.CharField(max_length=50, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["line_haul_code", "departs_on"], name="one_container_per_departure")
        ]

    def __str__(self) -> str:
        return f"{self.line_haul_code} container of {self.departs_on} ({self.state})"

    @transition(field=state, source=C.OPEN, target=C.CLOSED)
    def close(self):
        """Its cut-off passed: later parcels wait for the next departure."""

    @transition(field=state, source=[C.OPEN, C.CLOSED], target=C.DEPARTED)
    def depart(self):
        """The container left the origin hub."""

    @transition(field=state, source=C.DEPARTED, target=C.ARRIVED)
    def arrive(self):
        """The container reached the destination hub: each parcel's last mile is booked."""


class ConsolidationTransition(TransitionRecord):
    consolidation = models.ForeignKey(Consolidation, on_delete=models.CASCADE, related_name="history")


class ConsolidationParcel(models.Model):
    """One order's parcels in a container (a line haul leg of its plan)."""

    consolidation = models.ForeignKey(Consolidation, on_delete=models.PROTECT, related_name="parcels")
    order_id = models.BigIntegerField(unique=True)
    merchant_id = models.BigIntegerField()
    added_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"order {self.order_id} in {self.consolidation_id}"


class PlanStep(models.Model):
    """A step the plan takes to undo or redo a leg (cancel a delivery, withdraw a parcel from its
    container, cancel a warehouse order): recorded first, run at once, retried until done, so a
    compensation is never half made and never made twice."""

    class Action(models.TextChoices):
        CANCEL_DELIVERY = "cancel_delivery", "Cancel the delivery (its label is voided at the carrier)"
        WITHDRAW_FROM_CONTAINER = "withdraw_from_container", "Take the parcel out of its container"
        CANCEL_WAREHOUSE_ORDER = "cancel_warehouse_order", "Cancel the warehouse order (its stock is released)"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        REFUSED = "refused", "Refused (a person must decide)"

    fulfillment_order = models.ForeignKey(FulfillmentOrder, on_delete=models.CASCADE, related_name="steps")
    leg = models.ForeignKey(FulfillmentLeg, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(max_length=30, choices=Action.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    reason = models.CharField(max_length=300)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["fulfillment_order", "id"]
        constraints = [models.UniqueConstraint(fields=["leg", "action"], name="step_once_per_leg")]
        indexes = [models.Index(fields=["created_at"], condition=models.Q(state="pending"), name="plan_steps_pending")]

    def __str__(self) -> str:
        return f"{self.action} of leg {self.leg_id} ({self.state})"
