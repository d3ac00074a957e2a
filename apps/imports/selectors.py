"""Reads of imports: the merchant's jobs, a job's progress, its errors and its error file."""

import csv
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.common.text import spreadsheet_cell
from apps.imports.exceptions import ImportNotFound
from apps.imports.models import ImportJob, ImportProfile, ImportRowError, ImportState
from apps.imports.reading import Table

logger = logging.getLogger(__name__)


STALE_RUN = timedelta(minutes=15)  # a run not finished by then was lost with its worker


def progress_key(job_id: int) -> str:
    return f"imports:progress:{job_id}"


def import_job_list(*, merchant_id: int) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(merchant_id=merchant_id).defer("table").order_by("-id")


def import_job_get(*, merchant_id: int, job_id: int) -> ImportJob:
    job = ImportJob.objects.filter(merchant_id=merchant_id, pk=job_id).defer("table").first()
    if job is None:
        raise ImportNotFound(_("This import does not exist."))
    return job


def import_jobs_waiting() -> list[int]:
    """Imports queued over a minute ago and not started, or running for longer than a run can."""
    now = timezone.now()
    return list(
        ImportJob.objects.filter(
            Q(state=ImportState.QUEUED, checked_at__lt=now - timedelta(minutes=1))
            | Q(state=ImportState.RUNNING, started_at__lt=now - STALE_RUN)
        ).values_list("pk", flat=True)[:100]
    )


def import_profile_get(*, merchant_id: int) -> ImportProfile | None:
    return ImportProfile.objects.filter(merchant_id=merchant_id).first()


@dataclass(frozen=True)
class Progress:
    state: str
    done: int
    total: int
    finished: bool

    @property
    def percent(self) -> int:
        return 100 if self.finished else (self.done * 100 // self.total if self.total else 0)


def import_progress(*, job: ImportJob) -> Progress:
    """How far a job has got: while it runs, from the worker's notes in the cache (they are seen
    even while an all-or-nothing import's transaction is open), else from the row."""
    finished = job.state in (ImportState.DONE, ImportState.FAILED)
    done, total = job.orders_done, job.orders_valid
    if job.state == ImportState.RUNNING:
        try:
            done, total = cache.get(progress_key(job.pk)) or (done, total)
        except Exception:  # the cache is down: the row's last note (or 0 in one transaction)
            logger.warning("import %s: progress not read", job.pk, exc_info=True)
    elif job.state == ImportState.QUEUED:
        done = 0
    return Progress(state=job.state, done=done, total=total, finished=finished)


def import_row_errors(*, job_id: int, limit: int | None = None) -> list[ImportRowError]:
    errors = ImportRowError.objects.filter(job_id=job_id).order_by("row", "id")
    return list(errors[:limit] if limit else errors)


def import_error_file(*, merchant_id: int, job_id: int) -> Iterator[str]:
    """The rows not imported as CSV for a spreadsheet (byte-order mark, formulas neutralised):
    the row's number, its errors, then its cells as the file had them, so it can be fixed and
    uploaded again."""
    job = ImportJob.objects.filter(merchant_id=merchant_id, pk=job_id).first()
    if job is None:
        raise ImportNotFound(_("This import does not exist."))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    by_row: dict[int, list[str]] = {}
    for error in import_row_errors(job_id=job.pk):
        where = f"{error.column}: " if error.column else ""
        by_row.setdefault(error.row, []).append(where + error.message)
    if not job.table:  # purged after IMPORT_RETENTION_DAYS: the errors without the cells
        yield "\ufeff" + _line(writer, buffer, [_("Row"), _("Errors")])
        for number, errors in sorted(by_row.items()):
            yield _line(writer, buffer, [number, " | ".join(errors)])
        return
    table = Table.from_json(job.table)
    yield "\ufeff" + _line(writer, buffer, [_("Row"), _("Errors"), *table.headings])
    for number, cells in table.rows:
        if number in by_row:
            yield _line(writer, buffer, [number, " | ".join(by_row[number]), *cells])


def _line(writer, buffer: io.StringIO, cells) -> str:
    buffer.seek(0)
    buffer.truncate()
    writer.writerow([spreadsheet_cell(c) for c in cells])
    return buffer.getvalue()
