from django.http import StreamingHttpResponse
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.erp_api.authentication import HasScope
from apps.erp_api.serializers import OrderDetailOutput, OrderInput, OrderOutput
from apps.orders.exports import order_csv_lines
from apps.orders.filters import OrderFilter
from apps.orders.selectors import order_get, order_list
from apps.orders.services import order_cancel
from apps.shipping.services import order_submit


class OrderCursorPagination(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class OrderListCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"GET": "orders:read", "POST": "orders:write"}

    def get(self, request):
        orders = OrderFilter(request.query_params, queryset=order_list(merchant_id=request.auth.merchant_id))
        if not orders.is_valid():
            raise ValidationError(orders.errors)
        paginator = OrderCursorPagination()
        page = paginator.paginate_queryset(orders.qs, request, view=self)
        return paginator.get_paginated_response(OrderOutput(page, many=True).data)

    def post(self, request):
        payload = OrderInput(data=request.data)
        payload.is_valid(raise_exception=True)
        order = order_submit(
            merchant_id=request.auth.merchant_id, draft=payload.to_draft(), actor=request.auth.actor, channel="api"
        )
        order = order_get(merchant_id=request.auth.merchant_id, order_id=order.id)
        return Response(OrderDetailOutput(order).data, status=status.HTTP_201_CREATED)


class OrderExportApi(APIView):
    """The filtered list as CSV, streamed row by row (any size, bounded memory)."""

    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"GET": "orders:read"}

    def get(self, request):
        orders = OrderFilter(request.query_params, queryset=order_list(merchant_id=request.auth.merchant_id))
        if not orders.is_valid():
            raise ValidationError(orders.errors)
        response = StreamingHttpResponse(order_csv_lines(orders.qs), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="orders.csv"'
        return response


class OrderDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"GET": "orders:read"}

    def get(self, request, order_id):
        order = order_get(merchant_id=request.auth.merchant_id, order_id=order_id)
        return Response(OrderDetailOutput(order).data)


class OrderCancelApi(APIView):
    """Cancel before hand-over. `If-Match: <version>` refuses if the order changed since it was read."""

    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"POST": "orders:write"}

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)

    def post(self, request, order_id):
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        order = order_get(merchant_id=request.auth.merchant_id, order_id=order_id)
        if_match = request.headers.get("If-Match", "").strip('"')
        if if_match and not if_match.isdigit():
            raise ValidationError({"If-Match": ["Send the order's version number."]})
        order = order_cancel(
            merchant_id=request.auth.merchant_id,
            order_id=order.id,
            actor=request.auth.actor,
            reason=payload.validated_data["reason"],
            expected_version=int(if_match) if if_match else None,
        )
        return Response(OrderDetailOutput(order_get(merchant_id=order.merchant_id, order_id=order.id)).data)
