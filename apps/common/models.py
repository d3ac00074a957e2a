from django.db import models
from django.db.models import Q


class IdWorkerLease(models.Model):
    """Which process holds which id worker number, and until when."""

    worker_id = models.SmallIntegerField(primary_key=True)
    holder = models.CharField(max_length=200)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"worker {self.worker_id} held by {self.holder}"


class OutboxEvent(models.Model):
    """A fact some app recorded in the same transaction as the change that caused it."""

    id = models.BigAutoField(primary_key=True)
    event_type = models.CharField(max_length=100, db_index=True)
    aggregate_type = models.CharField(max_length=50)
    aggregate_id = models.CharField(max_length=40)
    merchant_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField(default=dict)
    actor = models.CharField(max_length=100, blank=True)
    # The request (or the task acting for it) that caused the event: the relay hands it on to the
    # subscribers' tasks, so their log lines carry it (apps/common/logs.py).
    request_id = models.CharField(max_length=64, blank=True, default="", db_default="")
    created_at = models.DateTimeField(auto_now_add=True)
    relayed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["id"], name="outbox_unrelayed", condition=Q(relayed_at__isnull=True)),
            models.Index(fields=["aggregate_type", "aggregate_id"], name="outbox_aggregate"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} #{self.id}"


class ProcessedEvent(models.Model):
    """That a subscription is done with an event: a handler ran (the guard that makes it run at
    most once), or a routed task returned without raising."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="processed_by")
    handler = models.CharField(max_length=200)
    processed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "handler"], name="processed_once")]

    def __str__(self) -> str:
        return f"{self.handler} ran for event {self.event_id}"


class OutboxDelivery(models.Model):
    """A message the relay published for one subscription of an event, kept until the
    subscription is done with it (its `ProcessedEvent` mark exists): the record from which a
    lost message is published again (docs/outbox.md)."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.CharField(max_length=200)
    published_at = models.DateTimeField()
    publish_count = models.PositiveIntegerField(default=1)
    # When to look again whether it is done; a retrying task pushes this past its retry.
    check_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "subscription"], name="delivery_once")]
        indexes = [models.Index(fields=["check_at"], name="outbox_delivery_due")]

    def __str__(self) -> str:
        return f"{self.subscription} for event {self.event_id}"


class TransitionRecord(models.Model):
    """Base of every state machine's history: one row per transition taken."""

    merchant_id = models.BigIntegerField(db_index=True)
    transition = models.CharField(max_length=50)
    from_state = models.CharField(max_length=30)
    to_state = models.CharField(max_length=30)
    actor = models.CharField(max_length=100)
    reason = models.CharField(max_length=500, blank=True)
    occurred_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state} by {self.actor}"


class ArchivedRecord(models.Model):
    """A center's rows for an archived order, kept read-only as one JSON document per aggregate
    (a distribution order with its history and tracking events, a fulfilment order with its legs)."""

    kind = models.CharField(max_length=50)
    key = models.CharField(max_length=40)
    order_id = models.BigIntegerField()
    merchant_id = models.BigIntegerField(null=True, blank=True)
    document = models.JSONField()
    archived_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="archived_record_once")]
        indexes = [models.Index(fields=["order_id", "kind"], name="archived_record_order")]

    def __str__(self) -> str:
        return f"archived {self.kind} {self.key}"
