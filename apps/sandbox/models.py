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


class SandboxWarehouse(models.Model):
    """How one simulated warehouse management system (WMS) behaves; created with defaults on its
    first request. `last_cursor` numbers its changes: every change takes the next one under this
    row's lock, so changes become visible in cursor order."""

    code = models.SlugField(max_length=50, unique=True)
    latency_ms = models.PositiveIntegerField(default=0, help_text="Added to every answer, after the work is done.")
    error_rate = models.FloatField(default=0.0, help_text="Share of calls answered with a 503 (0 to 1).")
    timeout_rate = models.FloatField(default=0.0, help_text="Share of calls that hang past the client's timeout.")
    outage = models.BooleanField(default=False, help_text="Answer every call with a 503.")
    lost_reply_rate = models.FloatField(
        default=0.0, help_text="Share of order creations whose reply is lost: created, then a hang past the timeout."
    )
    stage_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Time in each stage (received, picking, packed); empty: SANDBOX_WMS_STAGE_SECONDS.",
    )
    short_pick_rate = models.FloatField(default=0.0, help_text="Share of order lines picked short (besides no stock).")
    drift_rate = models.FloatField(
        default=0.0, help_text="Share of SKUs whose on-hand changes by 1 or 2 units at each simulation step."
    )
    webhook_url = models.URLField(blank=True, help_text="Where order and receipt webhooks go; empty sends none.")
    webhook_secret = models.CharField(max_length=200, blank=True, help_text="Signs the webhooks (HMAC-SHA256).")
    webhook_duplicate_rate = models.FloatField(default=0.1, help_text="Share of webhooks sent twice.")
    webhook_shuffle = models.BooleanField(default=True, help_text="Send each step's webhooks out of order.")
    webhook_delay_rate = models.FloatField(
        default=0.0, help_text="Share of webhooks held back a step, so later news overtakes them."
    )
    webhook_drop_rate = models.FloatField(default=0.0, help_text="Share of webhooks never sent.")
    last_cursor = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return self.code


class SandboxWmsOrder(models.Model):
    warehouse_code = models.SlugField(max_length=50)
    external_reference = models.CharField(max_length=100)
    request = models.JSONField()
    lines = models.JSONField(help_text="[{sku, ordered, shipped, short}]")
    parcels = models.JSONField(default=list)
    stage = models.CharField(max_length=20, default="received")
    sequence = models.PositiveIntegerField(default=1)
    create_attempts = models.PositiveIntegerField(default=1, help_text="Creation requests seen for this reference.")
    created_at = models.DateTimeField()
    stage_changed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["warehouse_code", "external_reference"], name="sandbox_wms_order_once")
        ]

    def __str__(self) -> str:
        return f"{self.warehouse_code}/{self.external_reference}"

    @property
    def wms_order_id(self) -> str:
        return f"SWMS-{self.pk:08d}"


class SandboxWmsChange(models.Model):
    """One change of one order, as `changes since cursor` serves it."""

    warehouse_code = models.SlugField(max_length=50)
    cursor = models.BigIntegerField()
    order = models.ForeignKey(SandboxWmsOrder, on_delete=models.CASCADE, related_name="changes")
    payload = models.JSONField(help_text="The order as it stood after this change.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["warehouse_code", "cursor"], name="sandbox_wms_cursor_once")]

    def __str__(self) -> str:
        return f"{self.warehouse_code} change {self.cursor}"


class SandboxWmsWebhook(models.Model):
    """A webhook the sandbox WMS owes the platform (an order change or a receipt)."""

    warehouse_code = models.SlugField(max_length=50)
    payload = models.JSONField()
    state = models.CharField(max_length=10, default="pending")  # pending, sent, dropped, failed
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["state", "warehouse_code", "id"], name="sandbox_wms_webhook_due")]

    def __str__(self) -> str:
        return f"{self.warehouse_code} {self.payload.get('type', '')} webhook ({self.state})"


class SandboxStock(models.Model):
    warehouse_code = models.SlugField(max_length=50)
    sku = models.CharField(max_length=64)
    on_hand = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["warehouse_code", "sku"], name="sandbox_stock_once")]

    def __str__(self) -> str:
        return f"{self.warehouse_code}/{self.sku}: {self.on_hand}"


class SandboxStockSnapshot(models.Model):
    warehouse_code = models.SlugField(max_length=50)
    taken_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.warehouse_code} stock at {self.taken_at:%Y-%m-%d %H:%M:%S}"


class SandboxStockSnapshotItem(models.Model):
    snapshot = models.ForeignKey(SandboxStockSnapshot, on_delete=models.CASCADE, related_name="items")
    sku = models.CharField(max_length=64)
    on_hand = models.IntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["snapshot", "sku"], name="sandbox_snapshot_sku_once")]

    def __str__(self) -> str:
        return f"{self.sku}: {self.on_hand}"


class SandboxAsn(models.Model):
    warehouse_code = models.SlugField(max_length=50)
    external_reference = models.CharField(max_length=100)
    lines = models.JSONField(help_text="[{sku, expected}]")
    expected_at = models.DateField(null=True, blank=True)
    create_attempts = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["warehouse_code", "external_reference"], name="sandbox_asn_once")
        ]

    def __str__(self) -> str:
        return f"{self.warehouse_code}/{self.external_reference}"


class SandboxReceipt(models.Model):
    asn = models.ForeignKey(SandboxAsn, on_delete=models.CASCADE, related_name="receipts")
    lines = models.JSONField(help_text="[{sku, accepted, damaged}]")
    received_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.receipt_id

    @property
    def receipt_id(self) -> str:
        return f"SRC-{self.pk:08d}"
