"""The writes of imports: upload, check (the preview), start, and the run a worker makes.

Orders are made by the shipping center's intake (`order_submit`, channel "import"): the same
validation and routing as the portal's form and the ERP API. All-or-nothing runs every order in
one transaction (any refusal rolls every one back); "import the valid rows" runs each order in
its own and skips orders with a bad row. An order made from a file is noted by the file's hash
and its reference (`ImportedOrder`): the same file again makes nothing new."""

import hashlib
import logging
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.common.exceptions import DomainError
from apps.common.gc_pause import gc_paused
from apps.imports.exceptions import ImportNotAllowed, ImportNotFound
from apps.imports.headings import FIELDS, REQUIRED, guess_mapping
from apps.imports.models import ImportedOrder, ImportJob, ImportProfile, ImportRowError, ImportState
from apps.imports.reading import Table, read_table
from apps.imports.rows import DEFAULTS, PlannedOrder, Problem, plan_orders, problems_from_paths
from apps.imports.selectors import STALE_RUN, progress_key
from apps.orders.selectors import order_ids_by_reference
from apps.resources.words import reason_text
from apps.shipping.exceptions import InvalidOrder
from apps.shipping.services import order_rates, order_submit

logger = logging.getLogger(__name__)

CHANNEL = "import"
PROGRESS_EVERY = 25  # orders between progress notes in an all-or-nothing import
PREVIEW_ORDERS = 10  # orders shown as understood on the preview
COMMIT_EVERY = 50  # orders per transaction when importing the valid rows (a progress note each)


def import_upload(*, merchant_id: int, actor: str, file_name: str, data: bytes) -> ImportJob:
    """Read the file (`UnreadableFile` says why not) and keep it with a first guess of the mapping:
    the merchant's last mapping for the headings it has, else the known headings."""
    table = read_table(data, file_name=file_name)
    profile = ImportProfile.objects.filter(merchant_id=merchant_id).first()
    mapping = guess_mapping(table.headings, profile.mapping if profile else None)
    return ImportJob.objects.create(
        merchant_id=merchant_id,
        created_by=actor[:150],
        file_name=file_name[:255],
        file_hash=hashlib.sha256(data).hexdigest(),
        table=table.as_json(),
        kind=table.kind,
        encoding=table.encoding,
        headings=list(table.headings),
        mapping=mapping,
        defaults={**DEFAULTS, **(profile.defaults if profile else {})},
        rows_total=len(table.rows),
    )


def _job_for_update(*, merchant_id: int, job_id: int) -> ImportJob:
    job = ImportJob.objects.select_for_update().filter(merchant_id=merchant_id, pk=job_id).first()
    if job is None:
        raise ImportNotFound(_("This import does not exist."))
    return job


def _table(job: ImportJob) -> Table:
    if not job.table:
        raise ImportNotAllowed(_("This upload's rows were deleted after some weeks; upload the file again."))
    return Table.from_json(job.table, kind=job.kind, encoding=job.encoding)


def import_check(*, merchant_id: int, job_id: int, mapping: dict[str, str], defaults: dict) -> ImportJob:
    """Check every row with this mapping and these settings (remembered for the merchant's next
    file), keeping an error per row and field; the preview shows them."""
    missing = [str(FIELDS[name]) for name in REQUIRED if not mapping.get(name)]
    if missing:
        raise ImportNotAllowed(
            _("Choose the columns for: %(fields)s.") % {"fields": ", ".join(missing)}, extra={"missing": missing}
        )
    # The check's objects (a draft per order, a dict per row) die with it: no collector passes.
    with gc_paused(), transaction.atomic(durable=True):
        job = _job_for_update(merchant_id=merchant_id, job_id=job_id)
        if job.state not in (ImportState.UPLOADED, ImportState.CHECKED):
            raise ImportNotAllowed(_("This import has started already."))
        mapping = {name: heading for name, heading in mapping.items() if name in FIELDS and heading in job.headings}
        defaults = {**DEFAULTS, **{k: v for k, v in defaults.items() if k in DEFAULTS}}
        orders = _checked_orders(job, _table(job), mapping, defaults)
        job.mapping, job.defaults = mapping, defaults
        ImportRowError.objects.filter(job=job).delete()
        ImportRowError.objects.bulk_create(_error_rows(job, orders), batch_size=2000)
        already = {o.key for o in orders if o.key in _imported_keys(job)}
        job.preview = [_preview(order) for order in orders[:PREVIEW_ORDERS]]
        job.orders_total = len(orders)
        job.orders_already = len(already)
        job.orders_invalid = sum(1 for o in orders if o.problems and o.key not in already)
        job.orders_valid = job.orders_total - job.orders_invalid - job.orders_already
        job.state, job.checked_at = ImportState.CHECKED, timezone.now()
        # Not the table: writing its rows back unchanged cost a megabyte of JSON for 5,000 rows.
        job.save(
            update_fields=[
                "mapping",
                "defaults",
                "preview",
                "orders_total",
                "orders_already",
                "orders_invalid",
                "orders_valid",
                "state",
                "checked_at",
            ]
        )
        ImportProfile.objects.update_or_create(
            merchant_id=merchant_id, defaults={"mapping": mapping, "defaults": defaults}
        )
    return job


def _preview(order: PlannedOrder) -> dict:
    draft = order.draft
    shown = {"rows": order.rows[:20], "reference": order.reference, "ok": not order.problems}
    if draft is None:
        return shown
    recipient = draft.recipient
    return {
        **shown,
        "recipient": ", ".join(
            part for part in (recipient.name, recipient.city, recipient.postal_code, recipient.country) if part
        ),
        "items": "; ".join(
            f"{i.quantity} x {i.description} ({i.unit_value} {i.currency})" for i in draft.parcels[0].items
        ),
        "weight_g": draft.parcels[0].weight_g,
        "service_level": draft.service_level,
    }


def _imported_keys(job: ImportJob) -> set[str]:
    if not hasattr(job, "_imported_keys"):
        job._imported_keys = set(
            ImportedOrder.objects.filter(merchant_id=job.merchant_id, file_hash=job.file_hash).values_list(
                "key", flat=True
            )
        )
    return job._imported_keys


def _checked_orders(
    job: ImportJob, table: Table, mapping: dict, defaults: dict, *, quote: bool = True
) -> list[PlannedOrder]:
    """The planned orders with every problem: the row checks, then the intake's own (validation
    and routing, as `order_submit` would judge), and references other orders have."""
    orders = plan_orders(table, mapping, defaults)
    done = _imported_keys(job)
    taken = order_ids_by_reference(
        merchant_id=job.merchant_id, references=[o.reference for o in orders if o.reference and o.key not in done]
    )
    for order in orders:
        if order.key in done:
            continue
        if order.reference in taken:
            order.problems.append(
                Problem(
                    order.first_row,
                    "reference",
                    _("An order with reference %(reference)s exists already.") % {"reference": order.reference},
                )
            )
        if order.problems or not quote:
            continue
        try:
            result = order_rates(merchant_id=job.merchant_id, draft=order.draft)
        except InvalidOrder as exc:
            order.problems += problems_from_paths(order, exc.extra.get("fields", {}))
            continue
        except DomainError as exc:
            order.problems.append(Problem(order.first_row, "", exc.message))
            continue
        if not result.options:
            reasons = sorted({reason_text(e.reason) for e in result.exclusions})[:3]
            order.problems.append(
                Problem(
                    order.first_row,
                    "",
                    _("No carrier service can take this order (%(reasons)s).") % {"reasons": "; ".join(reasons) or "-"},
                )
            )
    for order in orders:
        if order.problems and len(order.rows) > 1:
            bad = {p.row for p in order.problems}
            for row in order.rows:
                if row not in bad:
                    order.problems.append(
                        Problem(row, "", _("Not imported with its order: another row of it has errors."))
                    )
    return orders


def _error_rows(job: ImportJob, orders: list[PlannedOrder]) -> list[ImportRowError]:
    columns = job.mapping if isinstance(job.mapping, dict) else {}
    return [
        ImportRowError(
            job=job,
            row=p.row,
            field=p.field[:40],
            column=str(columns.get(p.field, ""))[:1000],
            message=p.message[:1000],
        )
        for o in orders
        for p in o.problems
    ]


def import_start(*, merchant_id: int, job_id: int, only_valid: bool) -> ImportJob:
    """Queue the checked import. All-or-nothing (the default) is refused while any order has
    errors; `only_valid` imports exactly the orders without any."""
    with transaction.atomic(durable=True):
        job = _job_for_update(merchant_id=merchant_id, job_id=job_id)
        if job.state != ImportState.CHECKED:
            raise ImportNotAllowed(_("Only a checked import can start, once."))
        if job.orders_invalid and not only_valid:
            raise ImportNotAllowed(
                _("%(n)s orders have errors: fix the file, or import the valid rows only.") % {"n": job.orders_invalid}
            )
        if not job.orders_valid:
            raise ImportNotAllowed(_("There is nothing new to import in this file."))
        job.state, job.only_valid = ImportState.QUEUED, only_valid
        job.save(update_fields=["state", "only_valid"])
    return job


class _RollBack(Exception):
    pass


def import_run(*, job_id: int) -> ImportJob | None:
    """The worker's part: make the orders of a queued import (or of one whose worker was lost:
    what it made is noted and skipped). Returns None when there is nothing to do."""
    with transaction.atomic(durable=True):
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return None
        lost = job.state == ImportState.RUNNING and job.started_at and job.started_at < timezone.now() - STALE_RUN
        if job.state != ImportState.QUEUED and not lost:
            return None
        job.state, job.started_at, job.orders_done = ImportState.RUNNING, timezone.now(), 0
        job.save(update_fields=["state", "started_at", "orders_done"])
    # Intake judges each order again as it makes it: no quote here, only the file's own checks.
    with gc_paused():
        checked = _checked_orders(job, _table(job), job.mapping, job.defaults, quote=False)
    orders = [o for o in checked if o.key not in _imported_keys(job)]
    valid = [o for o in orders if not o.problems]
    failed: list[Problem] = []
    created = 0
    _progress(job, 0, len(valid))
    try:
        if job.only_valid:
            # A commit per batch, not per order: a commit waits for the disk. A refused order
            # is refused before it writes, or rolled back alone (order_create's savepoint).
            for start in range(0, len(valid), COMMIT_EVERY):
                batch = valid[start : start + COMMIT_EVERY]
                with transaction.atomic():
                    created += _make(job, batch, failed)
                    ImportJob.objects.filter(pk=job.pk).update(orders_done=start + len(batch))
                _progress(job, start + len(batch), len(valid))
        else:
            if len(valid) != len(orders):
                failed += [p for o in orders for p in o.problems]
                raise _RollBack
            with transaction.atomic():
                for start in range(0, len(valid), PROGRESS_EVERY):
                    batch = valid[start : start + PROGRESS_EVERY]
                    created += _make(job, batch, failed)
                    if failed:
                        raise _RollBack
                    _progress(job, start + len(batch), len(valid))
    except _RollBack:
        created = 0
    problems = [p for o in orders for p in o.problems] + failed if job.only_valid else failed
    with transaction.atomic(durable=True):
        job = ImportJob.objects.select_for_update().defer("table").get(pk=job_id)  # saves the rest only
        ImportRowError.objects.filter(job=job).delete()
        ImportRowError.objects.bulk_create(
            [
                ImportRowError(
                    job=job,
                    row=p.row,
                    field=p.field[:40],
                    column=str(job.mapping.get(p.field, ""))[:1000],
                    message=p.message[:1000],
                )
                for p in problems
            ],
            batch_size=2000,
        )
        job.orders_created = created
        job.orders_failed = len(valid) - created
        job.orders_done = len(valid)
        job.finished_at = timezone.now()
        if created == 0 and valid:
            job.state = ImportState.FAILED
            job.message = _("Nothing was imported: an order was refused (see the errors).")
        else:
            job.state = ImportState.DONE
        job.save()
    cache.delete(progress_key(job.pk))
    return job


def _make(job: ImportJob, orders: list[PlannedOrder], failed: list[Problem]) -> int:
    """Make orders through intake, in the caller's transaction, and note them; a refusal becomes
    the order's problems. Returns how many were made."""
    made = []
    for order in orders:
        try:
            made.append(
                (
                    order,
                    order_submit(
                        merchant_id=job.merchant_id, draft=order.draft, actor=f"import:{job.pk}", channel=CHANNEL
                    ),
                )
            )
        except InvalidOrder as exc:
            failed += problems_from_paths(order, exc.extra.get("fields", {}))
        except DomainError as exc:
            field = "reference" if exc.code == "duplicate_reference" else ""
            failed.append(Problem(order.first_row, field, exc.message))
    ImportedOrder.objects.bulk_create(
        [
            ImportedOrder(
                merchant_id=job.merchant_id,
                file_hash=job.file_hash,
                key=order.key,
                job=job,
                order_id=record.id,
                row=order.first_row,
            )
            for order, record in made
        ]
    )
    return len(made)


def _progress(job: ImportJob, done: int, total: int) -> None:
    try:
        cache.set(progress_key(job.pk), (done, total), timeout=3600)
    except Exception:  # progress is a courtesy: a cache hiccup must not stop the import
        logger.warning("import %s: progress not noted", job.pk, exc_info=True)


def import_tables_purge(*, older_than_days: int) -> int:
    """Forget the rows (buyers' names, addresses, phones) of imports finished or abandoned more than
    `older_than_days` ago; the job, its counts, its row errors and the note of each order made
    (the same file again still makes nothing new) stay. Returns how many were purged."""
    before = timezone.now() - timedelta(days=older_than_days)
    return (
        ImportJob.objects.filter(created_at__lt=before)
        .exclude(state__in=[ImportState.QUEUED, ImportState.RUNNING])
        .exclude(table={})
        .update(table={}, preview=[])
    )
