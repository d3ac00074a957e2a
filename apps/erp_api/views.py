from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.erp_api.authentication import HasScope
from apps.erp_api.serializers import OrderDetailOutput, OrderInput, OrderOutput
from apps.orders.filters import OrderFilter
from apps.orders.selectors import order_get, order_list
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


class OrderDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"GET": "orders:read"}

    def get(self, request, order_id):
        order = order_get(merchant_id=request.auth.merchant_id, order_id=order_id)
        return Response(OrderDetailOutput(order).data)
