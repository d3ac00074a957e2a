"""The order's shipping documents (labels and customs declaration) as a PDF."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound

from apps.distribution.selectors import shipping_documents_pdf
from apps.erp_api.base import ErpApiView
from apps.erp_api.views import ORDER_ID
from apps.orders.selectors import order_get


class OrderLabelApi(ErpApiView):
    required_scopes = {"GET": "orders:read"}

    @extend_schema(
        operation_id="orders_label",
        parameters=[ORDER_ID],
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="Label and customs.")},
        summary="Download the label (PDF); 404 until the carrier has booked the order",
    )
    def get(self, request, order_id):
        order = order_get(merchant_id=request.auth.merchant_id, order_id=order_id)
        documents = shipping_documents_pdf(order_id=order.id)
        if documents is None:
            raise NotFound("The order has no label yet; it is printed once the carrier has booked it.")
        response = HttpResponse(documents, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{order.number}.pdf"'
        return response
