"""The import pages: upload a spreadsheet, map its columns, preview the errors, start, follow the
progress, download the rows not imported. Thin: the imports center does the work."""

import logging

from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.common.exceptions import INFRASTRUCTURE_ERRORS
from apps.imports.exceptions import ImportNotAllowed, ImportNotFound, UnreadableFile
from apps.imports.models import ImportState
from apps.imports.selectors import (
    import_error_file,
    import_job_get,
    import_job_list,
    import_progress,
    import_row_errors,
)
from apps.imports.services import import_check, import_start, import_upload
from apps.imports.tasks import run_import
from apps.portal.imports_forms import MappingForm, StartForm, UploadForm
from apps.portal.views import merchant_required

ERRORS_SHOWN = 200
logger = logging.getLogger(__name__)


def _job(request, job_id: int):
    try:
        return import_job_get(merchant_id=request.merchant.pk, job_id=job_id)
    except ImportNotFound as exc:
        raise Http404(exc.message) from exc


@merchant_required(permission="orders.create")
def import_list_view(request):
    form = UploadForm()
    status = 200
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = import_upload(
                    merchant_id=request.merchant.pk,
                    actor=f"user:{request.user.pk}",
                    file_name=upload.name or "upload",
                    data=upload.read(),
                )
            except UnreadableFile as exc:
                form.add_error("file", exc.message)
            else:
                return redirect("portal:import-detail", job_id=job.pk)
        status = 400
    jobs = list(import_job_list(merchant_id=request.merchant.pk)[:20])
    return render(request, "portal/import_list.html", {"form": form, "jobs": jobs}, status=status)


def _mapping_form(job, data=None) -> MappingForm:
    return MappingForm(data, headings=job.headings, initial=MappingForm.initial_for(job.mapping, job.defaults))


@merchant_required(permission="orders.create")
def import_detail_view(request, job_id: int):
    job = _job(request, job_id)
    return _detail(request, job)


def _detail(request, job, *, form=None, start_error: str = "", status: int = 200):
    context = {
        "job": job,
        "progress": import_progress(job=job),
        "running": job.state in (ImportState.QUEUED, ImportState.RUNNING),
    }
    if job.state in (ImportState.UPLOADED, ImportState.CHECKED):
        context["form"] = form or _mapping_form(job)
    if job.state != ImportState.UPLOADED:
        errors = import_row_errors(job_id=job.pk, limit=ERRORS_SHOWN + 1)
        context["errors"] = errors[:ERRORS_SHOWN]
        context["more_errors"] = len(errors) > ERRORS_SHOWN
    context["start_error"] = start_error
    return render(request, "portal/import_detail.html", context, status=status)


@merchant_required(permission="orders.create")
@require_POST
def import_check_view(request, job_id: int):
    job = _job(request, job_id)
    form = _mapping_form(job, request.POST)
    if not form.is_valid():
        return _detail(request, job, form=form, status=400)
    try:
        job = import_check(
            merchant_id=request.merchant.pk, job_id=job.pk, mapping=form.mapping(), defaults=form.defaults()
        )
    except ImportNotAllowed as exc:
        form.add_error(None, exc.message)
        return _detail(request, job, form=form, start_error=exc.message, status=409)
    return redirect("portal:import-detail", job_id=job.pk)


@merchant_required(permission="orders.create")
@require_POST
def import_start_view(request, job_id: int):
    job = _job(request, job_id)
    form = StartForm(request.POST)
    if not form.is_valid():
        return _detail(request, job, start_error=_("Choose how to import."), status=400)
    try:
        job = import_start(
            merchant_id=request.merchant.pk, job_id=job.pk, only_valid=form.cleaned_data["mode"] == "valid"
        )
    except ImportNotAllowed as exc:
        return _detail(request, _job(request, job_id), start_error=exc.message, status=409)
    try:
        run_import.delay(job.pk)
    except INFRASTRUCTURE_ERRORS:  # beat's resume_imports queues it again within a minute
        logger.warning("import %s: the worker was not nudged", job.pk, exc_info=True)
    return redirect("portal:import-detail", job_id=job.pk)


@merchant_required(permission="orders.create")
def import_progress_view(request, job_id: int):
    job = _job(request, job_id)
    progress = import_progress(job=job)
    return JsonResponse(
        {
            "state": progress.state,
            "done": progress.done,
            "total": progress.total,
            "percent": progress.percent,
            "finished": progress.finished,
        }
    )


@merchant_required(permission="orders.create")
def import_errors_view(request, job_id: int):
    job = _job(request, job_id)
    lines = import_error_file(merchant_id=request.merchant.pk, job_id=job.pk)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response
