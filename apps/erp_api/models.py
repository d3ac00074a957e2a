from django.db import models


class IdempotencyRecord(models.Model):
    """The first outcome of a POST sent with an `Idempotency-Key`, per merchant.

    A request claims its key by inserting this row (`in_progress`, with a lock until
    `locked_until` held by `owner`); when the view has answered, the row keeps the response
    (`completed`) so that a retry gets the same answer. See apps/erp_api/idempotency.py.
    """

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"

    merchant_id = models.BigIntegerField()
    key = models.CharField(max_length=255)
    # sha256 over the method, the path with its query and the raw body.
    fingerprint = models.CharField(max_length=64)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    state = models.CharField(max_length=20, choices=State.choices, default=State.IN_PROGRESS)
    owner = models.UUIDField(help_text="The request that holds the lock.")
    locked_until = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_content_type = models.CharField(max_length=100, blank=True)
    response_body = models.BinaryField(null=True, blank=True)
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant_id", "key"], name="idempotency_key_per_merchant")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_at")]

    def __str__(self) -> str:
        return f"{self.merchant_id}:{self.key} ({self.state})"
