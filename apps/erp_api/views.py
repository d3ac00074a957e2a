"""The orders endpoints: thin adapters from HTTP to the shipping and order centers."""

import json
import logging

import django_filters
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from apps.erp_api.base import ErpApiView
from apps.erp_api.errors import error_body, known_error
from apps.erp_api.fast_input import read_order
from apps.erp_api.idempotency import Claim, idempotency_item_record, idempotency_item_results, idempotent
from apps.erp_api.output import order_detail, order_summary
from apps.erp_api.schema import filter_parameters
from apps.erp_api.serializers import (
    BULK_MAX_ORDERS,
    BulkOrderEnvelope,
    BulkOrderInput,
    BulkOrderOutput,
    OrderCancelInput,
    OrderDetailOutput,
    OrderEventsOutput,
    OrderInput,
    OrderOutput,
    OrderWaitOutput,
)
from apps.fulfillment.selectors import TimelineKind, order_timeline
from apps.merchants.services import ApiPrincipal
from apps.orders.exports import order_csv_lines
from apps.orders.filters import OrderFilter, merchant_order_filter
from apps.orders.selectors import order_get
from apps.scheduling.selectors import order_wait
from apps.shipping.services import order_cancel_request, order_submit

logger = logging.getLogger(__name__)

ORDER_ID = OpenApiParameter(
    "order_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The order's id, or its order number."
)


class OrderCursorPagination(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    page_size_query_description = "Orders per page: 1 or more, 50 by default; more than 200 gives 200."

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":
            return self.page_size
        if not raw.isdigit() or int(raw) < 1:
            raise ValidationError({self.page_size_query_param: ["Send a whole number of 1 or more."]})
        return min(int(raw), self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters


def _submit(principal: ApiPrincipal, data, *, channel: str = "api") -> dict:
    """Validate, submit and render one order; raises the refusal as an exception."""
    request = read_order(data)
    if request is None:  # not plainly well-formed: OrderInput judges, and names every problem
        payload = OrderInput(data=data)
        payload.is_valid(raise_exception=True)
        request = payload.to_request()
    order = order_submit(
        merchant_id=principal.merchant_id,
        draft=request.draft,
        actor=principal.actor,
        channel=channel,
        chosen_route=request.chosen_route,
        strategy=request.strategy,
        warehouse=request.warehouse,
    )
    return order_detail(order, request.draft.parcels)  # what was recorded, without reading it back


ORDER_FILTERS = frozenset(OrderFilter.base_filters)
ORDER_FILTERS_TAKING_MANY = frozenset(
    name for name, f in OrderFilter.base_filters.items() if isinstance(f, django_filters.MultipleChoiceFilter)
)


class OrderListCreateApi(ErpApiView):
    required_scopes = {"GET": "orders:read", "POST": "orders:write"}
    pagination_class = OrderCursorPagination
    query_parameters = ORDER_FILTERS | {"cursor", "page_size"}
    repeatable_query_parameters = ORDER_FILTERS_TAKING_MANY

    @extend_schema(
        operation_id="orders_list",
        parameters=filter_parameters(OrderFilter),
        responses=OrderOutput(many=True),
        summary="List orders, newest first",
    )
    def get(self, request):
        orders = merchant_order_filter(request.query_params, merchant_id=request.auth.merchant_id)
        if not orders.is_valid():
            raise ValidationError(orders.errors)
        paginator = OrderCursorPagination()
        page = paginator.paginate_queryset(orders.qs, request, view=self)
        return paginator.get_paginated_response([order_summary(order) for order in page])

    @extend_schema(
        operation_id="orders_create",
        request=OrderInput,
        responses={201: OrderDetailOutput},
        summary="Create an order",
    )
    @idempotent
    def post(self, request):
        return Response(_submit(request.auth, request.data), status=status.HTTP_201_CREATED)


class OrderBulkCreateApi(ErpApiView):
    """Up to 500 orders in one request. Each is validated and recorded on its own (its own
    transaction), so some may be created while others are refused: the answer has a result per
    order, in request order, with the order or the error it would get on its own."""

    required_scopes = {"POST": "orders:write"}

    @staticmethod
    def rate_cost(request) -> int:
        """One rate-limit token per order sent (at least one; the envelope's cap holds it to 500)."""
        orders = request.data.get("orders") if isinstance(request.data, dict) else None
        return min(max(1, len(orders)), BULK_MAX_ORDERS) if isinstance(orders, list) else 1

    @extend_schema(
        operation_id="orders_bulk_create",
        request=BulkOrderInput,
        responses={200: BulkOrderOutput},
        summary="Create up to 500 orders; a result per order",
    )
    @idempotent
    def post(self, request):
        payload = BulkOrderEnvelope(data=request.data)
        payload.is_valid(raise_exception=True)
        orders = payload.validated_data["orders"]
        claim = getattr(request, "idempotency_claim", None)
        if claim is None:
            results = [self._one(request.auth, index, data) for index, data in enumerate(orders)]
        else:
            results = self._resumed(request.auth, claim, orders)
        created = sum(1 for r in results if r["status"] == status.HTTP_201_CREATED)
        return Response({"created": created, "failed": len(results) - created, "results": results})

    @classmethod
    def _resumed(cls, principal: ApiPrincipal, claim: Claim, orders: list) -> list[dict]:
        """Under an Idempotency-Key each order's result is kept as soon as it is known, so that a
        retry after the request died half-way answers the done ones as they were and does the rest."""
        done = idempotency_item_results(claim=claim, count=len(orders))
        results = []
        for index, data in enumerate(orders):
            if index in done:
                results.append(json.loads(done[index][1]))
                continue
            result = cls._one(principal, index, data)
            if claim.taken_over:
                result = cls._made_by_the_first_attempt(principal, claim, result)
            if result["status"] < 500:
                idempotency_item_record(
                    claim=claim, index=index, status=result["status"], body=JSONRenderer().render(result)
                )
            results.append(result)
        return results

    @staticmethod
    def _made_by_the_first_attempt(principal: ApiPrincipal, claim: Claim, result: dict) -> dict:
        """An order the dead attempt recorded but had no time to note: its reference is then
        taken by an order made since the key was first claimed, which is that very order."""
        error = result["error"] or {}
        order_id = error.get("extra", {}).get("order_id") if error.get("code") == "duplicate_reference" else None
        if order_id is None or claim.first_claimed_at is None:
            return result
        order = order_get(merchant_id=principal.merchant_id, order_id=order_id)
        if order.created_at < claim.first_claimed_at:
            return result
        order_data = json.loads(JSONRenderer().render(order_detail(order, order.parcels.all())))
        return {"index": result["index"], "status": status.HTTP_201_CREATED, "order": order_data, "error": None}

    @staticmethod
    def _one(principal: ApiPrincipal, index: int, data: dict) -> dict:
        try:
            # Its own channel: the lanes queue a merchant's bulk orders as a flow of their own,
            # so they never hold up its (or anyone's) single orders.
            order = _submit(principal, data, channel="api_bulk")
        except Exception as exc:
            known = known_error(exc)
            if known is None:  # one order's crash must not lose the others' results
                logger.exception("bulk order %s of merchant %s failed", index, principal.merchant_id)
                known = (500, error_body("server_error", "This order failed on our side; it was not recorded."))
            code, body = known
            return {"index": index, "status": code, "order": None, "error": body}
        return {"index": index, "status": status.HTTP_201_CREATED, "order": order, "error": None}


class OrderExportApi(ErpApiView):
    """The filtered list as CSV, streamed row by row (any size, bounded memory)."""

    required_scopes = {"GET": "orders:read"}
    query_parameters = ORDER_FILTERS
    repeatable_query_parameters = ORDER_FILTERS_TAKING_MANY

    @extend_schema(
        operation_id="orders_export",
        parameters=filter_parameters(OrderFilter),
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="One row per order.")},
        summary="Export orders as CSV",
    )
    def get(self, request):
        orders = merchant_order_filter(request.query_params, merchant_id=request.auth.merchant_id)
        if not orders.is_valid():
            raise ValidationError(orders.errors)
        response = StreamingHttpResponse(order_csv_lines(orders.qs), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="orders.csv"'
        return response


class OrderDetailApi(ErpApiView):
    required_scopes = {"GET": "orders:read"}

    @extend_schema(
        operation_id="orders_retrieve", parameters=[ORDER_ID], responses=OrderDetailOutput, summary="Read an order"
    )
    def get(self, request, order_id):
        order = order_get(merchant_id=request.auth.merchant_id, order_id=order_id)
        return Response(order_detail(order, order.parcels.all()))


class OrderCancelApi(ErpApiView):
    """Cancel before hand-over. `If-Match: <version>` refuses if the order changed since it was read."""

    required_scopes = {"POST": "orders:write"}

    @extend_schema(
        operation_id="orders_cancel",
        parameters=[
            ORDER_ID,
            OpenApiParameter(
                "If-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="The order's `version` as read; 409 `version_conflict` if it changed since.",
            ),
        ],
        request=OrderCancelInput,
        responses={200: OrderDetailOutput, 202: OrderDetailOutput},
        summary="Cancel an order before hand-over (202: asked of the warehouse, which confirms or refuses)",
    )
    @idempotent
    def post(self, request, order_id):
        payload = OrderCancelInput(data=request.data)
        payload.is_valid(raise_exception=True)
        order = order_get(merchant_id=request.auth.merchant_id, order_id=order_id)
        if_match = request.headers.get("If-Match", "").strip().strip('"')
        if if_match and not (if_match.isdigit() and len(if_match) <= 9):
            raise ValidationError({"If-Match": ["Send the order's version number."]})
        outcome = order_cancel_request(
            merchant_id=request.auth.merchant_id,
            order_id=order.id,
            actor=request.auth.actor,
            reason=payload.validated_data["reason"],
            expected_version=int(if_match) if if_match else None,
        )
        order = order_get(merchant_id=outcome.order.merchant_id, order_id=outcome.order.id)
        # 202: asked of the warehouse's WMS, which confirms (the order is then cancelled) or refuses.
        status = 202 if outcome.requested else 200
        return Response(order_detail(order, order.parcels.all()), status=status)


class OrderWaitApi(ErpApiView):
    """Why the order's booking has not gone to its carrier yet: its lane, its place, what holds
    it and an estimate."""

    required_scopes = {"GET": "orders:read"}

    @extend_schema(
        operation_id="orders_wait",
        parameters=[ORDER_ID],
        responses=OrderWaitOutput,
        summary="Why is this order waiting? Its lane, place, what holds it and an estimate",
    )
    def get(self, request, order_id):
        order = order_get(merchant_id=request.auth.merchant_id, order_id=order_id)
        wait = order_wait(order_id=order.id) if not order.is_archived else None
        if wait is None:
            body = dict.fromkeys(OrderWaitOutput().fields, None) | {"waiting": False}
        else:
            body = {
                "waiting": True,
                **{name: getattr(wait, name) for name in OrderWaitOutput().fields if name != "waiting"},
            }
        return Response(OrderWaitOutput(body).data)


class OrderEventsApi(ErpApiView):
    """The order's timeline: each state it reached and each carrier tracking event, oldest first."""

    required_scopes = {"GET": "tracking"}

    @extend_schema(
        operation_id="orders_events",
        parameters=[ORDER_ID],
        responses=OrderEventsOutput,
        summary="The order's timeline: state changes and tracking events",
    )
    def get(self, request, order_id):
        order = order_get(merchant_id=request.auth.merchant_id, order_id=order_id)
        events = [
            {
                "type": entry.kind.value,
                "occurred_at": entry.occurred_at,
                "state": entry.state,
                "previous_state": entry.previous_state,
                "milestone": entry.milestone,
                "carrier_status": entry.carrier_status,
                "description": entry.title if entry.kind is TimelineKind.TRACKING else entry.reason,
                "location": entry.location,
            }
            for entry in order_timeline(order=order)
        ]
        return Response(OrderEventsOutput({"results": events}).data)
