from django.db import models
from django.db.models import Q
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from apps.common.models import TransitionRecord


class Lane(models.Model):
    """The queue in front of one downstream system, with that system's limits."""

    key = models.CharField(max_length=100, unique=True)
    downstream_kind = models.CharField(max_length=20)
    downstream_code = models.CharField(max_length=50)
    requests_per_second = models.PositiveIntegerField(default=20)
    max_in_flight = models.PositiveIntegerField(default=10)
    paused = models.BooleanField(default=False, help_text="Hold every entry (set by operations).")
    tokens = models.FloatField(default=0)
    refilled_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.key


class LaneEntryState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RELEASED = "released", "Released"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


S = LaneEntryState


class LaneEntry(ConcurrentTransitionMixin, models.Model):
    """An order waiting in, or passing through, a lane."""

    lane = models.ForeignKey(Lane, on_delete=models.PROTECT, related_name="entries")
    order_id = models.BigIntegerField(db_index=True)
    merchant_id = models.BigIntegerField(db_index=True)
    priority = models.SmallIntegerField(default=0)
    state = FSMField(default=S.QUEUED, choices=S.choices, protected=True)
    version = models.PositiveIntegerField(default=1)
    enqueued_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # An order waits in at most one lane at a time; after a re-route it gets a new entry.
            models.UniqueConstraint(
                fields=["order_id"], condition=Q(state__in=["queued", "released"]), name="one_active_entry_per_order"
            ),
        ]
        indexes = [
            models.Index(fields=["lane", "-priority", "id"], condition=Q(state="queued"), name="lane_queue"),
            models.Index(fields=["lane"], condition=Q(state="released"), name="lane_in_flight"),
        ]

    def __str__(self) -> str:
        return f"order {self.order_id} on {self.lane_id} ({self.state})"

    @transition(field=state, source=S.QUEUED, target=S.RELEASED)
    def release(self):
        """Let through to the downstream."""

    @transition(field=state, source=S.RELEASED, target=S.COMPLETED)
    def complete(self):
        """The downstream took the work; its slot is free."""

    @transition(field=state, source=[S.QUEUED, S.RELEASED], target=S.FAILED)
    def fail(self):
        """The downstream refused the work; its slot is free."""


class LaneEntryTransition(TransitionRecord):
    lane_entry = models.ForeignKey(LaneEntry, on_delete=models.CASCADE, related_name="history")
