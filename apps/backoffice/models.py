from django.conf import settings
from django.db import models


class StaffAction(models.Model):
    """No table: the permissions of the back office's actions, which span centers, so that roles
    (migrations 0002, 0003) can grant them apart from editing any one model."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("retry_work", "Retry stuck bookings, tracking and deliveries"),
            ("cancel_order", "Cancel orders"),
            ("reroute_order", "Re-route orders to another carrier service"),
            ("hold_order", "Hold and release an order's booking on its lane"),
            ("assign_work", "Hand stuck work to a person"),
        ]

    def __str__(self) -> str:
        return "staff action"


class StaffActionRecord(models.Model):
    """One action a staff member took through the back office, with its outcome: the audit trail
    beside the centers' own histories (which name the same `staff:<username>`)."""

    class Outcome(models.TextChoices):
        DONE = "done", "Done"
        REFUSED = "refused", "Refused"

    occurred_at = models.DateTimeField(auto_now_add=True)
    actor = models.CharField(max_length=150, help_text="staff:<username>, as the centers' histories name them.")
    action = models.CharField(max_length=30)
    subject_kind = models.CharField(max_length=30, help_text="order, lane_entry, distribution_order, ...")
    subject_id = models.BigIntegerField()
    order_id = models.BigIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["order_id", "-occurred_at"], name="staff_action_order"),
            models.Index(fields=["-occurred_at"], name="staff_action_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.actor} {self.action} {self.subject_kind} {self.subject_id}: {self.outcome}"


class WorkAssignment(models.Model):
    """Stuck work handed to a person: who has it, why, and who handed it over. Open until closed."""

    subject_kind = models.CharField(max_length=30)
    subject_id = models.BigIntegerField()
    order_id = models.BigIntegerField(null=True, blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assigned_work")
    note = models.CharField(max_length=500)
    assigned_by = models.CharField(max_length=150)
    assigned_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-assigned_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_kind", "subject_id"],
                condition=models.Q(closed_at__isnull=True),
                name="one_open_assignment_per_subject",
            )
        ]
        indexes = [models.Index(fields=["order_id"], name="assignment_order")]

    def __str__(self) -> str:
        return f"{self.subject_kind} {self.subject_id} → {self.assignee}"
