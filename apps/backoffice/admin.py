"""The *Orders* pages of the operations admin: find any order, see everything that happened to it
in every center, and act on it. Fast at a million orders: no COUNT(*) over the table (pages read
one row past their end instead), filters that ride indexes, a fixed number of queries per page."""

import json
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import ActionLocation, helpers
from django.core.paginator import Paginator
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join

from apps.backoffice.models import StaffActionRecord, WorkAssignment
from apps.backoffice.selectors import order_operations
from apps.backoffice.services import (
    order_cancel_by_staff,
    order_hold_by_staff,
    order_release_by_staff,
    order_reroute_by_staff,
    order_retry_by_staff,
    work_assignment_close,
)
from apps.common.admin import TransitionHistoryInline
from apps.common.exceptions import DomainError
from apps.merchants.selectors import merchant_list
from apps.orders.filters import SERVICE_LEVELS, first_id_at
from apps.orders.models import ArchivedOrder, Order, OrderTransition
from apps.orders.selectors import parse_order_id
from apps.resources.selectors import carrier_list, destination_countries
from apps.scheduling.selectors import order_wait

# Every order action is offered on the list (for the selected orders) and on the order's page.
BOTH = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]


def staff_actor(request) -> str:
    """How a staff member's action is recorded in an order's history."""
    return f"staff:{request.user.get_username()}"


class PageWithoutCount(Paginator):
    """Pages that never count the whole result: the count is what this page has seen, plus one
    more row when a next page exists, so the admin offers "next" without COUNT(*)."""

    def __init__(self, object_list, per_page, *, page_number: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.page_number = max(page_number, 1)

    @cached_property
    def count(self) -> int:
        offset = (self.page_number - 1) * self.per_page
        return offset + len(self.object_list[offset : offset + self.per_page + 1])


class _WithoutCount:
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        try:
            page_number = int(request.GET.get("p", 1))
        except ValueError:
            page_number = 1
        return PageWithoutCount(queryset, per_page, page_number=page_number, orphans=0)


class MerchantFilter(admin.SimpleListFilter):
    title = "merchant"
    parameter_name = "merchant"

    def lookups(self, request, model_admin):
        return [(str(m.id), m.name) for m in merchant_list()[:200]]

    def queryset(self, request, queryset):
        return queryset.filter(merchant_id=self.value()) if self.value() and self.value().isdigit() else queryset


class CarrierFilter(admin.SimpleListFilter):
    title = "carrier"
    parameter_name = "carrier"

    def lookups(self, request, model_admin):
        return [(c.code, c.name) for c in carrier_list()]

    def queryset(self, request, queryset):
        return queryset.filter(carrier_code=self.value()) if self.value() else queryset


class DestinationFilter(admin.SimpleListFilter):
    title = "destination country"
    parameter_name = "country"

    def lookups(self, request, model_admin):
        return [(code, code) for code in destination_countries()]

    def queryset(self, request, queryset):
        return queryset.filter(recipient_country=self.value().upper()) if self.value() else queryset


class ServiceLevelFilter(admin.SimpleListFilter):
    """The known levels: the admin's own filter for a field would list them with a SELECT
    DISTINCT over the whole table (300 ms at a million orders)."""

    title = "service level"
    parameter_name = "service_level"

    def lookups(self, request, model_admin):
        return SERVICE_LEVELS

    def queryset(self, request, queryset):
        return queryset.filter(service_level=self.value()) if self.value() else queryset


# Ids are time-ordered: an age is an id range, read on the primary key.
AGES = {"1h": timedelta(hours=1), "1d": timedelta(days=1), "7d": timedelta(days=7)}


class AgeFilter(admin.SimpleListFilter):
    title = "age"
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [
            ("1h", "Last hour"),
            ("1d", "Last 24 hours"),
            ("7d", "Last 7 days"),
            ("older", "Older than 7 days"),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() in AGES:
            return queryset.filter(id__gte=first_id_at(now - AGES[self.value()]))
        if self.value() == "older":
            return queryset.filter(id__lt=first_id_at(now - AGES["7d"]))
        return queryset


def _search(queryset, term: str):
    """An order by id or order number, reference, tracking number, or recipient name or email."""
    term = term.strip()
    if not term:
        return queryset
    by = Q(reference=term) | Q(tracking_number=term) | Q(recipient_name__icontains=term)
    order_id = parse_order_id(term)
    if order_id is not None:
        by |= Q(pk=order_id)
    if "@" in term:
        by |= Q(recipient_email__iexact=term)
    return queryset.filter(by)


class OrderTransitionInline(TransitionHistoryInline):
    model = OrderTransition
    verbose_name_plural = "history"


class OrderActionForm(helpers.ActionForm):
    """The admin's action picker with a note: the reason recorded with a cancel, re-route or hold,
    and for a re-route optionally the carrier service to go to ("carrier/service")."""

    note = forms.CharField(required=False, max_length=300, label="Note")
    route = forms.CharField(required=False, max_length=101, label="Re-route to (carrier/service, optional)")


def _posted(request, name: str) -> str:
    # The page's action form posts its fields with the change form's prefix.
    for key in (name, f"{ActionLocation.CHANGE_FORM.value}-{name}"):
        if request.POST.get(key, "").strip():
            return request.POST[key].strip()[:300]
    return ""


def _table(headers: list[str], rows: list[tuple]) -> str:
    if not rows:
        return "—"
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    body = format_html_join(
        "", "<tr>{}</tr>", ((format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in rows)
    )
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


@admin.register(Order)
class OrderAdmin(_WithoutCount, admin.ModelAdmin):
    list_display = ["number", "merchant", "state", "carrier_code", "recipient_country", "reference", "created_at"]
    list_filter = ["state", MerchantFilter, CarrierFilter, DestinationFilter, AgeFilter, ServiceLevelFilter]
    list_select_related = ["merchant"]
    search_fields = ["reference"]  # the search box; `get_search_results` decides what it matches
    search_help_text = "Order id or number, reference, tracking number, recipient name or email."
    ordering = ["-id"]
    inlines = [OrderTransitionInline]
    actions = ["cancel_orders", "reroute_orders", "retry_bookings", "hold_orders", "release_orders"]
    action_form = OrderActionForm
    fieldsets = [
        (None, {"fields": ["number", "merchant", "state", "version", "channel", "reference", "created_at"]}),
        ("Route", {"fields": ["service_level", "carrier_code", "service_code", "warehouse_code", "quoted", "route"]}),
        ("Parties", {"fields": ["sender", "recipient", "tracking_number"]}),
        (
            "Across the centers",
            {
                "fields": [
                    "lane",
                    "lane_history",
                    "fulfilment",
                    "warehouse",
                    "wms_calls",
                    "distribution",
                    "carrier_calls",
                    "webhooks_sent",
                ]
            },
        ),
        ("Operations", {"fields": ["staff_actions", "assignments"]}),
    ]

    def get_search_results(self, request, queryset, search_term):
        return _search(queryset, search_term), False

    def has_add_permission(self, request):
        return False  # orders come in through intake (portal, API), never by hand

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # every change is an action below, through the centers' services

    def get_readonly_fields(self, request, obj=None):
        return [field for _, options in self.fieldsets for field in options["fields"]]

    def get_object(self, request, object_id, from_field=None):
        order = super().get_object(request, object_id, from_field)
        if order is not None:
            self._operations = order_operations(order_id=order.id)
        return order

    @admin.display(description="quoted")
    def quoted(self, order: Order) -> str:
        return f"{order.quoted_price} {order.quoted_currency}" if order.quoted_price is not None else "—"

    @admin.display(description="why this route")
    def route(self, order: Order) -> str:
        return format_html("<pre>{}</pre>", json.dumps(order.route_explanation, indent=2, ensure_ascii=False))

    @admin.display(description="sender")
    def sender(self, order: Order) -> str:
        return f"{order.sender_name}, {order.sender_city}, {order.sender_country}"

    @admin.display(description="recipient")
    def recipient(self, order: Order) -> str:
        return (
            f"{order.recipient_name}, {order.recipient_city} {order.recipient_postal_code}, {order.recipient_country}"
        )

    @admin.display(description="lane")
    def lane(self, order: Order) -> str:
        entry = self._operations.lane_entry
        if entry is None:
            return "—"
        queued = f"{entry.enqueued_at:%Y-%m-%d %H:%M:%S}"
        text = f"{entry.lane.key}: {entry.state} (priority {entry.priority}, queued {queued})"
        wait = order_wait(order_id=order.id)
        if wait is not None:
            estimate = "unknown" if wait.estimate_seconds is None else f"~{wait.estimate_seconds} s"
            text += f"; place {wait.place}, held by {wait.held_by}: {wait.reason}; estimate {estimate}"
        return text

    @admin.display(description="lane history")
    def lane_history(self, order: Order) -> str:
        return _table(
            ["when", "step", "from", "to", "actor", "reason"],
            [
                (f"{h.occurred_at:%Y-%m-%d %H:%M:%S}", h.transition, h.from_state, h.to_state, h.actor, h.reason)
                for h in self._operations.lane_history
            ],
        )

    @admin.display(description="staff actions")
    def staff_actions(self, order: Order) -> str:
        return _table(
            ["when", "staff", "action", "on", "outcome", "note"],
            [
                (
                    f"{r.occurred_at:%Y-%m-%d %H:%M:%S}",
                    r.actor,
                    r.action,
                    f"{r.subject_kind} {r.subject_id}",
                    r.outcome,
                    r.note,
                )
                for r in self._operations.staff_actions
            ],
        )

    @admin.display(description="handed to")
    def assignments(self, order: Order) -> str:
        return _table(
            ["since", "person", "work", "note", "by", "closed"],
            [
                (
                    f"{a.assigned_at:%Y-%m-%d %H:%M:%S}",
                    a.assignee.get_username(),
                    f"{a.subject_kind} {a.subject_id}",
                    a.note,
                    a.assigned_by,
                    f"{a.closed_at:%Y-%m-%d %H:%M}" if a.closed_at else "open",
                )
                for a in self._operations.assignments
            ],
        )

    @admin.display(description="fulfilment legs")
    def fulfilment(self, order: Order) -> str:
        ops = self._operations
        return _table(
            ["#", "kind", "leg", "state"], [(leg.sequence, leg.kind, leg.leg_id, leg.state) for leg in ops.legs]
        )

    @admin.display(description="warehouse orders")
    def warehouse(self, order: Order) -> str:
        rows = [
            (
                format_html('<a href="{}">{}</a>', reverse("admin:warehouse_warehouseorder_change", args=[w.id]), w.id),
                w.warehouse_code,
                ", ".join(f"{line.sku}: {line.ordered}" for line in w.lines.all()),
                w.ship_by or "—",
                w.state,
            )
            for w in self._operations.warehouse_orders
        ]
        return _table(["id", "warehouse", "lines", "ship by", "state"], rows)

    @admin.display(description="WMS calls")
    def wms_calls(self, order: Order) -> str:
        rows = [
            (
                f"{c.created_at:%Y-%m-%d %H:%M:%S}",
                c.warehouse_code,
                c.operation,
                c.status_code or "—",
                c.outcome,
                c.duration_ms,
                c.error,
            )
            for c in self._operations.wms_calls
        ]
        return _table(["at", "warehouse", "operation", "status", "outcome", "ms", "error"], rows)

    @admin.display(description="distribution orders")
    def distribution(self, order: Order) -> str:
        rows = [
            (
                format_html(
                    '<a href="{}">{}</a>',
                    reverse("admin:distribution_distributionorder_change", args=[d.id]),
                    d.id,
                ),
                d.carrier_code,
                d.service_code,
                d.tracking_number or "—",
                d.state,
            )
            for d in self._operations.distribution_orders
        ]
        return _table(["id", "carrier", "service", "tracking number", "state"], rows)

    @admin.display(description="carrier calls")
    def carrier_calls(self, order: Order) -> str:
        rows = [
            (
                f"{c.created_at:%Y-%m-%d %H:%M:%S}",
                c.carrier_code,
                c.operation,
                c.status_code or "—",
                c.outcome,
                c.duration_ms,
            )
            for c in self._operations.carrier_calls
        ]
        return _table(["when", "carrier", "operation", "status", "outcome", "ms"], rows)

    @admin.display(description="webhooks sent")
    def webhooks_sent(self, order: Order) -> str:
        rows = [
            (f"{d.created_at:%Y-%m-%d %H:%M:%S}", d.event_type, d.endpoint.url, d.state, d.attempts)
            for d in self._operations.webhook_deliveries
        ]
        return _table(["when", "event", "endpoint", "state", "attempts"], rows)

    def has_cancel_permission(self, request) -> bool:
        return request.user.has_perm("backoffice.cancel_order")

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("backoffice.retry_work")

    def has_reroute_permission(self, request) -> bool:
        return request.user.has_perm("backoffice.reroute_order")

    def has_hold_permission(self, request) -> bool:
        return request.user.has_perm("backoffice.hold_order")

    @admin.action(description="Cancel (before hand-over)", permissions=["cancel"], location=BOTH)
    def cancel_orders(self, request, queryset):
        reason = _posted(request, "note") or "cancelled by operations"
        self._each(
            request,
            queryset,
            lambda order: order_cancel_by_staff(order_id=order.id, actor=staff_actor(request), reason=reason),
            done="cancelled",
        )

    @admin.action(
        description="Re-route to another carrier (before a carrier has the parcel)",
        permissions=["reroute"],
        location=BOTH,
    )
    def reroute_orders(self, request, queryset):
        reason = _posted(request, "note") or "re-routed by operations"
        route = _posted(request, "route")
        chosen = tuple(route.split("/", 1)) if "/" in route else None
        if route and chosen is None:
            self.message_user(request, "Give the route as carrier/service, e.g. euro-post/standard.", messages.ERROR)
            return
        self._each(
            request,
            queryset,
            lambda order: order_reroute_by_staff(
                order_id=order.id, actor=staff_actor(request), reason=reason, chosen_route=chosen
            ),
            done="re-routed",
        )

    @admin.action(description="Retry the booking or tracking", permissions=["retry"], location=BOTH)
    def retry_bookings(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda order: order_retry_by_staff(order_id=order.id, actor=staff_actor(request)),
            done="retried",
        )

    @admin.action(description="Hold the booking on its lane", permissions=["hold"], location=BOTH)
    def hold_orders(self, request, queryset):
        reason = _posted(request, "note") or "held by operations"
        self._each(
            request,
            queryset,
            lambda order: order_hold_by_staff(order_id=order.id, actor=staff_actor(request), reason=reason),
            done="held",
        )

    @admin.action(description="Release a held booking", permissions=["hold"], location=BOTH)
    def release_orders(self, request, queryset):
        reason = _posted(request, "note")
        self._each(
            request,
            queryset,
            lambda order: order_release_by_staff(order_id=order.id, actor=staff_actor(request), reason=reason),
            done="released",
        )

    def _each(self, request, queryset, act, *, done: str) -> None:
        succeeded = 0
        for order in queryset[:500]:
            try:
                act(order)
                succeeded += 1
            except DomainError as exc:
                self.message_user(request, f"{order.number}: {exc.message}", messages.WARNING)
        if succeeded:
            self.message_user(request, f"{succeeded} order(s) {done}.", messages.SUCCESS)


@admin.register(ArchivedOrder)
class ArchivedOrderAdmin(_WithoutCount, admin.ModelAdmin):
    """Orders closed long ago, moved to the archive: findable, never changed."""

    list_display = ["number", "merchant_id", "state", "carrier_code", "recipient_country", "reference", "created_at"]
    list_filter = ["state", CarrierFilter, DestinationFilter]
    search_fields = ["reference"]
    search_help_text = "Order id or number, reference, tracking number, recipient name or email."
    ordering = ["-id"]
    readonly_fields = ["number", "merchant_id", "state", "reference", "carrier_code", "tracking_number", "history"]
    fields = readonly_fields

    def get_search_results(self, request, queryset, search_term):
        return _search(queryset, search_term), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="history")
    def history(self, order: ArchivedOrder) -> str:
        return _table(
            ["when", "from", "to", "actor", "reason"],
            [
                (f"{s.occurred_at:%Y-%m-%d %H:%M:%S}", s.from_state, s.to_state, s.actor, s.reason)
                for s in order.history()
            ],
        )


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StaffActionRecord)
class StaffActionRecordAdmin(_WithoutCount, _ReadOnly):
    """The audit trail: written by the back office's services alone, never edited."""

    list_display = ["occurred_at", "actor", "action", "subject_kind", "subject_id", "order_id", "outcome", "note"]
    list_filter = ["action", "outcome", "subject_kind"]
    search_fields = ["=actor", "=order_id", "=subject_id"]
    ordering = ["-occurred_at", "-id"]


@admin.register(WorkAssignment)
class WorkAssignmentAdmin(_ReadOnly):
    """Stuck work handed to a person (from *Stuck work*); its assignee closes it when done."""

    list_display = [
        "assigned_at",
        "assignee",
        "subject_kind",
        "subject_id",
        "order_id",
        "note",
        "assigned_by",
        "closed_at",
    ]
    list_filter = [("closed_at", admin.EmptyFieldListFilter), "subject_kind"]
    list_select_related = ["assignee"]
    search_fields = ["=order_id", "=subject_id", "assignee__username"]
    actions = ["close"]

    def has_assign_permission(self, request) -> bool:
        return request.user.has_perm("backoffice.assign_work")

    @admin.action(description="Close the selected assignments (done)", permissions=["assign"])
    def close(self, request, queryset):
        for assignment in queryset[:500]:
            work_assignment_close(assignment_id=assignment.pk, actor=staff_actor(request))
        self.message_user(request, "Closed.", messages.SUCCESS)
