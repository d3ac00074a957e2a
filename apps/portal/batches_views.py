"""Label batches in the portal: select orders on the list, buy their labels together, print them
in one PDF (apps.batches; docs/printing.md). Thin views over the batches center."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from apps.batches.exceptions import BatchNotFound, BatchRefused
from apps.batches.printing import batch_pdf
from apps.batches.selectors import (
    label_batch_get,
    label_batch_list,
    label_batch_preview,
    label_batch_progress,
    print_log,
)
from apps.batches.services import BATCH_MAX_ORDERS, label_batch_create, print_record
from apps.orders.filters import merchant_order_filter
from apps.portal.batch_forms import BatchForm, PrintForm, parse_order_ids
from apps.portal.views import merchant_required


def _selection(request) -> tuple[list[int] | None, str]:
    """The orders the list's form selected: the ticked ones, or with `all` every order matching
    the list's filters (at most a batch's worth). (ids, problem): ids None with the problem."""
    if request.GET.get("all"):
        filters = merchant_order_filter(request.GET, merchant_id=request.merchant.pk)
        if not filters.is_valid():
            return None, _("The list's filters cannot be applied: correct them on the order list.")
        ids = list(filters.qs.values_list("id", flat=True)[: BATCH_MAX_ORDERS + 1])
        if len(ids) > BATCH_MAX_ORDERS:
            return None, _(
                "More than %(max)d orders match the filters: narrow them (a batch holds at most %(max)d)."
            ) % {"max": BATCH_MAX_ORDERS}
        return ids, ""
    ids = parse_order_ids(request.GET.getlist("order"))
    if ids is None:
        return None, _("The selection was damaged: select the orders again.")
    if len(ids) > BATCH_MAX_ORDERS:
        return None, _("A batch holds at most %(max)d orders.") % {"max": BATCH_MAX_ORDERS}
    return ids, ""


@merchant_required(permission="orders.create")
def batch_new_view(request):
    """GET: the orders selected on the list, the service to buy with, and *Buy*. POST: record them
    as one batch and answer at once, a worker moving the orders to the service (once per form: a
    double click finds the batch the first click made)."""
    if request.method == "POST":
        form = BatchForm(request.POST)
        if form.is_valid():
            try:
                batch, created = label_batch_create(
                    merchant_id=request.merchant.pk,
                    user=request.user,
                    order_ids=form.cleaned_data["order_ids"],
                    chosen_route=form.chosen_route(),
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
            except BatchRefused as exc:
                form.add_error(None, exc.message)
            else:
                if created:
                    messages.success(request, _("Batch %(id)s created.") % {"id": batch.pk})
                return redirect("portal:batch-detail", batch_id=batch.pk)
        count = len(form.cleaned_data.get("order_ids") or [])
        return render(request, "portal/batch_new.html", {"form": form, "count": count}, status=400)
    ids, problem = _selection(request)
    if not ids:
        return render(
            request,
            "portal/batch_new.html",
            {"problem": problem or _("Select at least one order on the order list."), "count": 0},
            status=400,
        )
    form = BatchForm(initial={"order_ids": ",".join(map(str, ids))})
    preview = label_batch_preview(merchant_id=request.merchant.pk, order_ids=ids)
    return render(request, "portal/batch_new.html", {"form": form, "count": len(ids), "preview": preview})


def _batch_or_404(request, batch_id: int):
    try:
        return label_batch_get(merchant_id=request.merchant.pk, batch_id=batch_id)
    except BatchNotFound as exc:
        raise Http404(exc.message) from exc


@require_GET
@merchant_required(permission="orders.view")
def batch_list_view(request):
    return render(request, "portal/batch_list.html", {"batches": label_batch_list(merchant_id=request.merchant.pk)})


# A batch's lines are shown this many to a page: a page of 500 took 65 ms of CPU to draw.
LINES_PER_PAGE = 100


def _detail(request, batch, print_form, status=200):
    progress = label_batch_progress(batch=batch)
    lines = Paginator(progress.lines, LINES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/batch_detail.html",
        {
            "batch": batch,
            "progress": progress,
            "lines": lines,
            "print_form": print_form,
            "prints": print_log(batch=batch)[:20],
        },
        status=status,
    )


@require_GET
@merchant_required(permission="orders.view")
def batch_detail_view(request, batch_id):
    """The batch's progress (the page refreshes itself while orders are moved and labels are
    coming), how to print it, and who printed it when."""
    return _detail(request, _batch_or_404(request, batch_id), PrintForm())


@require_GET
@merchant_required(permission="orders.view")
def batch_pdf_view(request, batch_id):
    """The batch's labelled orders in one PDF on the paper asked for; every print is logged, and a
    reprint costs nothing."""
    batch = _batch_or_404(request, batch_id)
    form = PrintForm(request.GET)
    if not form.is_valid():
        return _detail(request, batch, form, status=400)
    paper, slips = form.cleaned_data["paper"], form.cleaned_data["packing_slips"]
    pdf, orders, _documents = batch_pdf(batch=batch, paper=paper, packing_slips=slips)
    if not orders:
        messages.error(request, _("No label of this batch is ready yet."))
        return redirect("portal:batch-detail", batch_id=batch.pk)
    print_record(
        merchant_id=request.merchant.pk,
        user=request.user,
        batch_id=batch.pk,
        paper=paper,
        labels=orders,
        packing_slips=slips,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="batch-{batch.pk}-{paper}.pdf"'
    return response
