"""The back office's own pages beside the model admin (mounted under /admin/operations/, behind
the admin's staff login): the dashboard, its refreshable fragment, and stuck work."""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods

from apps.backoffice.admin import staff_actor
from apps.backoffice.dashboard import panels
from apps.backoffice.forms import StuckActionForm
from apps.backoffice.selectors import dashboard_figures, stuck_work
from apps.backoffice.services import order_cancel_by_staff, order_reroute_by_staff, work_assign, work_retry
from apps.common.exceptions import DomainError

# Who may take each bulk action on stuck work (the roles of migrations 0002 and 0003).
PERMISSION_OF_ACTION = {
    "retry": "backoffice.retry_work",
    "assign": "backoffice.assign_work",
    "reroute": "backoffice.reroute_order",
    "cancel": "backoffice.cancel_order",
}


def _context(request, **extra) -> dict:
    return {**admin.site.each_context(request), **extra}


def dashboard_view(request):
    return TemplateResponse(
        request,
        "backoffice/dashboard.html",
        _context(
            request,
            title="Operations dashboard",
            panels=panels(dashboard_figures()),
            refresh_seconds=settings.DASHBOARD_REFRESH_SECONDS,
        ),
    )


def dashboard_fragment_view(request):
    """The panels alone, for the page's script to swap in without a reload."""
    return TemplateResponse(request, "backoffice/dashboard_panels.html", {"panels": panels(dashboard_figures())})


@require_http_methods(["GET", "POST"])
def stuck_view(request):
    allowed = [action for action, perm in PERMISSION_OF_ACTION.items() if request.user.has_perm(perm)]
    form = StuckActionForm(
        request.POST or None, actions=allowed, assignees=get_user_model().objects.filter(is_staff=True)
    )
    if request.method == "POST":
        if form.is_valid():
            _act(request, form.cleaned_data)
            return redirect("backoffice:stuck")
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    groups = stuck_work(sample=25)
    return TemplateResponse(
        request,
        "backoffice/stuck.html",
        _context(
            request,
            title="Stuck work",
            groups=groups,
            form=form,
            allowed=allowed,
            threshold_minutes=settings.STUCK_WORK_MINUTES,
        ),
    )


def _act(request, data: dict) -> None:
    action, actor, note = data["action"], staff_actor(request), data["note"]
    if not request.user.has_perm(PERMISSION_OF_ACTION[action]):
        raise PermissionDenied
    done, refused = 0, []
    for item in data["items"]:
        try:
            if action == "retry":
                work_retry(
                    kind=item.kind,
                    subject_id=item.id,
                    order_id=item.order_id,
                    merchant_id=item.merchant_id,
                    actor=actor,
                )
            elif action == "assign":
                work_assign(
                    kind=item.kind,
                    subject_id=item.id,
                    order_id=item.order_id,
                    assignee=data["assignee"],
                    note=note,
                    actor=actor,
                )
            elif item.order_id is None:
                raise DomainError(f"{item.kind} {item.id} belongs to no order.")
            elif action == "reroute":
                order_reroute_by_staff(order_id=item.order_id, actor=actor, reason=note or "re-routed by operations")
            elif action == "cancel":
                order_cancel_by_staff(order_id=item.order_id, actor=actor, reason=note or "cancelled by operations")
            done += 1
        except DomainError as exc:
            refused.append(f"{item.kind} {item.id}: {exc.message}")
    if done:
        messages.success(request, f"{action}: {done} done.")
    for line in refused[:20]:
        messages.warning(request, line)
