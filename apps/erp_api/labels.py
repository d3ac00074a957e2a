"""The order's shipping documents (labels and customs declaration) as a PDF."""

from django.http import HttpResponse
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from apps.distribution.selectors import distribution_orders_for_order
from apps.erp_api.authentication import HasScope
from apps.orders.selectors import order_get


class OrderLabelApi(APIView):
    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"GET": "orders:read"}

    def get(self, request, order_id):
        order = order_get(merchant_id=request.auth.merchant_id, order_id=order_id)
        labelled = [d for d in distribution_orders_for_order(order_id=order.id) if d.tracking_number and d.label_pdf]
        if not labelled:
            raise NotFound("The order has no label yet; it is printed once the carrier has booked it.")
        response = HttpResponse(bytes(labelled[-1].label_pdf), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{order.number}.pdf"'
        return response
