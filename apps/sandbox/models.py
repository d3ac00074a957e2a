from django.db import models


class SandboxCarrier(models.Model):
    """How one simulated carrier behaves; created with defaults on its first request."""

    code = models.SlugField(max_length=50, unique=True)
    latency_ms = models.PositiveIntegerField(default=0, help_text="Added to every answer, after the work is done.")
    error_rate = models.FloatField(default=0.0, help_text="Share of calls answered with a 503 (0 to 1).")
    timeout_rate = models.FloatField(default=0.0, help_text="Share of calls that hang past the client's timeout.")
    outage = models.BooleanField(default=False, help_text="Answer every call with a 503.")
    delivery_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="From booking to delivered; empty means SANDBOX_DELIVERY_SECONDS."
    )
    webhook_url = models.URLField(blank=True, help_text="Where tracking webhooks go; empty sends none.")
    webhook_secret = models.CharField(max_length=200, blank=True, help_text="Signs the webhooks (HMAC-SHA256).")
    webhook_duplicate_rate = models.FloatField(default=0.1, help_text="Share of webhooks sent twice.")
    webhook_shuffle = models.BooleanField(default=True, help_text="Send a batch of new events out of order.")

    def __str__(self) -> str:
        return self.code


class SandboxShipment(models.Model):
    carrier_code = models.SlugField(max_length=50)
    idempotency_key = models.CharField(max_length=100)
    tracking_number = models.CharField(max_length=32, unique=True)
    service = models.CharField(max_length=50)
    reference = models.CharField(max_length=100, blank=True)
    request = models.JSONField()
    label_pdf = models.BinaryField()
    delivery_seconds = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    webhook_events_sent = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["carrier_code", "idempotency_key"], name="sandbox_booking_once")]

    def __str__(self) -> str:
        return self.tracking_number
