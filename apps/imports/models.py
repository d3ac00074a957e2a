from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportProfile(models.Model):
    """What a merchant chose for its imports, remembered for the next file: the heading for each
    field, and what the file does not say (the sender, currency, origin, parcel size, units)."""

    merchant_id = models.BigIntegerField(unique=True)
    mapping = models.JSONField(default=dict, blank=True)  # field -> heading
    defaults = models.JSONField(default=dict, blank=True)  # see `apps.imports.rows.DEFAULTS`
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"import settings of merchant {self.merchant_id}"


class ImportState(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")  # read; the columns are to be mapped
    CHECKED = "checked", _("Checked")  # every row checked; the preview shows the problems
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One uploaded file and its way to orders: mapped, checked (with an error per row and
    field), then imported in the background by a worker."""

    merchant_id = models.BigIntegerField()
    created_by = models.CharField(max_length=150)
    file_name = models.CharField(max_length=255)
    file_hash = models.CharField(max_length=64)  # SHA-256 of the bytes: the same file again is known
    # The file as read (headings, and each row with its number), so that the check, the run and
    # the error file never read the file again (a workbook is slow to parse).
    table = models.JSONField(default=dict)
    kind = models.CharField(max_length=4)  # csv, xlsx
    encoding = models.CharField(max_length=40, blank=True)
    headings = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)
    defaults = models.JSONField(default=dict)
    # The first orders as the check understood them (reference, recipient, items, weight), for
    # the merchant to see the columns were mapped right.
    preview = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=10, choices=ImportState.choices, default=ImportState.UPLOADED)
    only_valid = models.BooleanField(default=False)  # import the valid orders and skip the others

    rows_total = models.PositiveIntegerField(default=0)
    orders_total = models.PositiveIntegerField(default=0)
    orders_valid = models.PositiveIntegerField(default=0)
    orders_invalid = models.PositiveIntegerField(default=0)
    orders_already = models.PositiveIntegerField(default=0)  # imported from this file before
    orders_done = models.PositiveIntegerField(default=0)  # progress while importing
    orders_created = models.PositiveIntegerField(default=0)
    orders_failed = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["merchant_id", "-id"], name="import_job_merchant_recent")]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.file_name})"


class ImportRowError(models.Model):
    """A problem of one row (and field) of an import, found by the check or when importing."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    row = models.PositiveIntegerField()  # as the spreadsheet numbers it (the heading row is 1)
    field = models.CharField(max_length=40, blank=True)
    column = models.CharField(max_length=1000, blank=True)  # the file's heading for the field
    message = models.CharField(max_length=1000)

    class Meta:
        indexes = [models.Index(fields=["job", "row"], name="import_row_error_job_row")]

    def __str__(self) -> str:
        return f"row {self.row}: {self.message}"


class ImportedOrder(models.Model):
    """An order made from a file: the same file (by hash) again makes no second order for the
    same order reference (or, without references, the same first row)."""

    merchant_id = models.BigIntegerField()
    file_hash = models.CharField(max_length=64)
    key = models.CharField(max_length=120)
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="imported_orders")
    order_id = models.BigIntegerField()
    row = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant_id", "file_hash", "key"], name="imported_order_once"),
        ]

    def __str__(self) -> str:
        return f"order {self.order_id} from {self.key}"
