import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LabelBatch(models.Model):
    """Orders whose labels a merchant bought (or printed again) together, with one service choice."""

    merchant_id = models.BigIntegerField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # From the batch form: a second post of the same form (a double click) finds this batch.
    idempotency_key = models.UUIDField(default=uuid.uuid4)
    # The service every order to buy goes by; both blank: the platform's choice (routing).
    carrier_code = models.CharField(max_length=50, blank=True)
    service_code = models.CharField(max_length=50, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant_id", "idempotency_key"], name="label_batch_once_per_key")
        ]
        indexes = [models.Index(fields=["merchant_id", "-id"], name="label_batch_recent")]

    def __str__(self) -> str:
        return f"label batch {self.pk}"

    @property
    def service(self) -> str:
        return f"{self.carrier_code}/{self.service_code}" if self.carrier_code else ""


class BatchOrder(models.Model):
    """One order of a batch and what the batch did with it."""

    class Action(models.TextChoices):
        BUY = "buy", _("Label bought")
        REPRINT = "reprint", _("Labelled already: reprinted")
        SKIP = "skip", _("Skipped")

    class Reroute(models.TextChoices):
        """The move to the batch's service (or to another carrier) that buying the label takes
        first; a worker makes it after *Buy* (`services.label_batch_reroute`)."""

        NONE = "", _("No move")
        PENDING = "pending", _("To move")
        DONE = "done", _("Moved")
        REFUSED = "refused", _("Move refused")
        # Not needed any more when the worker came to it: labelled, or closed, meanwhile.
        DROPPED = "dropped", _("Move not needed")

    batch = models.ForeignKey(LabelBatch, on_delete=models.CASCADE, related_name="orders")
    order_id = models.BigIntegerField()
    position = models.PositiveIntegerField()
    action = models.CharField(max_length=10, choices=Action.choices)
    reroute = models.CharField(max_length=10, choices=Reroute.choices, blank=True, default=Reroute.NONE)
    # Why, as a code and its values (`apps.batches.notes`), put into words in the reader's language.
    reason = models.CharField(max_length=40, blank=True)
    reason_args = models.JSONField(default=dict, blank=True)
    # A refused move: the refusal in the shipping center's own words, for operations. Batches made
    # before `reason` existed keep their note here, in English, and show it as it is.
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["batch", "position"]
        constraints = [models.UniqueConstraint(fields=["batch", "order_id"], name="batch_order_once")]
        # The worker's queue: a batch's moves still to make, in the batch's order.
        indexes = [
            models.Index(
                fields=["batch", "position"], name="batch_order_to_move", condition=models.Q(reroute="pending")
            )
        ]

    def __str__(self) -> str:
        return f"{self.order_id} in batch {self.batch_id} ({self.action})"


class LabelPrint(models.Model):
    """One print of labels: a batch's merged PDF or one order's documents. The first print of a
    batch or an order is the purchase's; every later one is a reprint, free and logged here."""

    merchant_id = models.BigIntegerField()
    batch = models.ForeignKey(LabelBatch, null=True, blank=True, on_delete=models.CASCADE, related_name="prints")
    order_id = models.BigIntegerField(null=True, blank=True)
    printed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    printed_at = models.DateTimeField(auto_now_add=True)
    paper = models.CharField(max_length=10)
    labels = models.PositiveIntegerField()
    packing_slips = models.BooleanField(default=False)
    reprint = models.BooleanField()

    class Meta:
        indexes = [
            models.Index(fields=["merchant_id", "-printed_at"], name="label_print_recent"),
            models.Index(fields=["batch", "printed_at"], name="label_print_batch"),
            models.Index(fields=["order_id", "printed_at"], name="label_print_order"),
        ]

    def __str__(self) -> str:
        return f"print {self.pk} ({'reprint' if self.reprint else 'first'})"
