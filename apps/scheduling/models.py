from django.db import models
from django.db.models import Q
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from apps.common.models import TransitionRecord


class Lane(models.Model):
    """The queue in front of one downstream system, with that system's limits.

    Limits follow the resource center (the carrier's requests per second and concurrent calls)
    until operations edit them here; then `limits_set_by` says who, and the carrier's values no
    longer overwrite them (every edit is a `LaneChange`).
    """

    key = models.CharField(max_length=100, unique=True)
    downstream_kind = models.CharField(max_length=20)
    downstream_code = models.CharField(max_length=50)
    requests_per_second = models.PositiveIntegerField(default=20)
    burst = models.PositiveIntegerField(default=40, help_text="Calls that may go out at once after a quiet spell.")
    max_in_flight = models.PositiveIntegerField(default=10)
    limits_set_by = models.CharField(
        max_length=150, blank=True, help_text="Who set the limits by hand; empty while they follow the carrier."
    )
    paused = models.BooleanField(default=False, help_text="Hold every entry (set by operations).")
    draining = models.BooleanField(
        default=False, help_text="Let the waiting work go at the lane's pace, then pause (set by operations)."
    )
    # Start-time fair queueing: the virtual start of the last released work.
    virtual_clock = models.BigIntegerField(default=0)
    hold_reason = models.CharField(max_length=100, blank=True, help_text="Why the last release let nothing through.")
    held_since = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.key


class LaneChange(models.Model):
    """An edit of a lane's limits by operations: who, when, old and new values."""

    lane = models.ForeignKey(Lane, on_delete=models.CASCADE, related_name="changes")
    changed_at = models.DateTimeField(auto_now_add=True)
    actor = models.CharField(max_length=150)
    old = models.JSONField()
    new = models.JSONField()

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"lane {self.lane_id} limits set by {self.actor}"


class MerchantPriority(models.Model):
    """Operations raise a merchant's work: `boost` is added to the priority of its lane work."""

    merchant_id = models.BigIntegerField(unique=True)
    boost = models.SmallIntegerField(default=5)
    set_by = models.CharField(max_length=150)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "merchant priorities"

    def __str__(self) -> str:
        return f"merchant {self.merchant_id} +{self.boost}"


class LaneEntryState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RELEASED = "released", "Released"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class WorkKind(models.TextChoices):
    BOOK = "book", "Book at the carrier"
    VOID = "void", "Void at the carrier"
    TRACK = "track", "Poll the carrier's tracking"
    LABEL = "label", "Fetch the carrier's label"
    WMS_SUBMIT = "wms_submit", "Send an order to the warehouse's WMS"
    WMS_CANCEL = "wms_cancel", "Ask the WMS to cancel an order"
    WMS_POLL = "wms_poll", "Read the WMS's changes and receipts"
    WMS_SNAPSHOT = "wms_snapshot", "Reconcile the WMS's stock snapshot"
    ASN_ANNOUNCE = "asn_announce", "Announce an inbound shipment to the WMS"


# Work about a whole downstream rather than one order: one queued at a time per lane is enough.
SWEEPING_KINDS = (WorkKind.TRACK, WorkKind.WMS_POLL, WorkKind.WMS_SNAPSHOT)


S = LaneEntryState


class LaneEntry(ConcurrentTransitionMixin, models.Model):
    """One piece of lane work: a call to the lane's downstream waiting in, or passing through, it.

    The row is the work; a Celery message only says "run work N now" and may be lost or doubled.
    """

    lane = models.ForeignKey(Lane, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=20, choices=WorkKind.choices, default=WorkKind.BOOK)
    order_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    merchant_id = models.BigIntegerField(default=0, db_index=True, help_text="0 for the platform's own work (polls).")
    distribution_order_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    warehouse_order_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    asn_id = models.BigIntegerField(null=True, blank=True)
    flow = models.CharField(max_length=60, blank=True, help_text="Merchant and single or bulk: fairness is per flow.")
    priority = models.SmallIntegerField(default=0)
    virtual_start = models.BigIntegerField(default=0)
    state = FSMField(default=S.QUEUED, choices=S.choices, protected=True)
    version = models.PositiveIntegerField(default=1)
    attempts = models.PositiveIntegerField(default=0)
    not_before = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    held_by = models.CharField(
        max_length=150, blank=True, help_text="The staff member holding this work on its lane; empty when not held."
    )
    # The request whose order this work serves: its release event carries it on to the run, so
    # the carrier call's log lines carry it too, however late the lane lets the work through.
    request_id = models.CharField(max_length=64, blank=True, default="", db_default="")
    enqueued_at = models.DateTimeField(auto_now_add=True)
    aged_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "lane entries"
        constraints = [
            # A delivery is booked through at most one lane at a time, and an order's first booking
            # (no delivery yet) once; after a re-route it gets new work. The parts of an order split
            # across warehouses are deliveries of their own, booked side by side.
            models.UniqueConstraint(
                fields=["order_id", "distribution_order_id"],
                condition=Q(state__in=["queued", "released"], kind="book"),
                nulls_distinct=False,
                name="one_active_booking_per_delivery",
            ),
            # One queued poll (or snapshot) per lane is enough: it reads whatever is due when it runs.
            models.UniqueConstraint(
                fields=["lane", "kind"],
                condition=Q(state="queued", kind__in=["track", "wms_poll", "wms_snapshot"]),
                name="one_queued_sweep_per_lane",
            ),
        ]
        indexes = [
            models.Index(
                fields=["lane", "-priority", "virtual_start", "id"], condition=Q(state="queued"), name="lane_fair_queue"
            ),
            models.Index(fields=["lane", "flow", "-virtual_start"], condition=Q(state="queued"), name="lane_flow"),
            models.Index(fields=["lease_until"], condition=Q(state="released"), name="lane_leases"),
            models.Index(fields=["lane"], condition=Q(state="released"), name="lane_in_flight"),
            # The dashboard's release rate and outcomes over the last minutes.
            models.Index(fields=["released_at"], condition=Q(released_at__isnull=False), name="lane_released_recent"),
            models.Index(fields=["finished_at"], condition=Q(finished_at__isnull=False), name="lane_finished_recent"),
        ]

    def __str__(self) -> str:
        subject = f"order {self.order_id}" if self.order_id else f"{self.kind}"
        return f"{self.kind} {subject} on {self.lane_id} ({self.state})"

    @transition(field=state, source=S.QUEUED, target=S.RELEASED)
    def release(self):
        """Let through to the downstream: it holds an in-flight slot until it ends or its lease runs out."""

    @transition(field=state, source=S.RELEASED, target=S.QUEUED)
    def requeue(self):
        """Back in the queue: the downstream asked to wait, or the lease ran out."""

    @transition(field=state, source=[S.QUEUED, S.RELEASED], target=S.COMPLETED)
    def complete(self):
        """The downstream took the work (or its subject no longer needs it); its slot is free."""

    @transition(field=state, source=[S.QUEUED, S.RELEASED], target=S.FAILED)
    def fail(self):
        """The downstream refused the work, or it was withdrawn; its slot is free."""


class LaneEntryTransition(TransitionRecord):
    lane_entry = models.ForeignKey(LaneEntry, on_delete=models.CASCADE, related_name="history")
