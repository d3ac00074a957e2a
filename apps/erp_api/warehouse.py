"""The warehouse endpoints: the merchant's stock per warehouse and SKU, and inbound shipments
(ASNs) with their lines, receipts and discrepancies. Thin adapters over apps.warehouse; orders
shipped from stock go through the orders endpoint (its `warehouse` field)."""

from django.urls import path
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from apps.common.text import has_control_characters, refuse_control_characters
from apps.erp_api.base import ErpApiView
from apps.erp_api.fast_input import WAREHOUSE_MAX_LENGTH
from apps.erp_api.idempotency import idempotent
from apps.erp_api.views import OrderCursorPagination
from apps.resources.selectors import warehouse_list
from apps.shipping import limits
from apps.warehouse.exceptions import AsnNotFound
from apps.warehouse.models import Asn, AsnDiscrepancy
from apps.warehouse.selectors import asn_get, asn_list, stock_inbound, stock_list
from apps.warehouse.services import asn_create

ASN_ID = OpenApiParameter("asn_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The ASN's id.")
ASN_LINES_MAX = 500
SKU_MAX_LENGTH = limits.ITEM_MAX_LENGTH["sku"]


class StockCursorPagination(OrderCursorPagination):
    ordering = "id"
    page_size_query_description = "Rows per page: 1 or more, 50 by default; more than 200 gives 200."


class AsnCursorPagination(OrderCursorPagination):
    page_size_query_description = "ASNs per page: 1 or more, 50 by default; more than 200 gives 200."


class StockOutput(serializers.Serializer):
    warehouse = serializers.CharField()
    sku = serializers.CharField()
    on_hand = serializers.IntegerField(help_text="Units on the warehouse's shelves, as its WMS counts them.")
    reserved = serializers.IntegerField(help_text="Units held for your orders not yet shipped.")
    available = serializers.IntegerField(help_text="Units an order can take now: on hand less reserved.")
    inbound = serializers.IntegerField(help_text="Units still expected in your open ASNs (expected less received).")
    updated_at = serializers.DateTimeField(help_text="When on hand or reserved last changed.")


def _text_parameter(request, name: str, max_length: int) -> str:
    value = request.query_params.get(name, "").strip()
    if len(value) > max_length or has_control_characters(value):
        raise ValidationError({name: [f"At most {max_length} printable characters."]})
    return value


class StockListApi(ErpApiView):
    """Your stock per warehouse and SKU, oldest row first; with `changed_since`, only rows whose
    on hand or reserved changed after it (poll with the latest `updated_at` you have)."""

    required_scopes = {"GET": "orders:read"}
    pagination_class = StockCursorPagination
    query_parameters = frozenset({"warehouse", "sku", "changed_since", "cursor", "page_size"})

    @extend_schema(
        operation_id="stock_list",
        parameters=[
            OpenApiParameter("warehouse", OpenApiTypes.STR, description="A warehouse's code."),
            OpenApiParameter("sku", OpenApiTypes.STR, description="One SKU."),
            OpenApiParameter(
                "changed_since", OpenApiTypes.DATETIME, description="Only rows changed after this moment (ISO 8601)."
            ),
        ],
        responses=StockOutput(many=True),
        summary="List your stock per warehouse and SKU",
    )
    def get(self, request):
        merchant_id = request.auth.merchant_id
        warehouse = _text_parameter(request, "warehouse", WAREHOUSE_MAX_LENGTH)
        sku = _text_parameter(request, "sku", SKU_MAX_LENGTH)
        raw_since = _text_parameter(request, "changed_since", 64)
        since = None
        if raw_since:
            try:
                since = parse_datetime(raw_since)
            except ValueError:
                since = None
            if since is None or since.tzinfo is None:
                raise ValidationError({"changed_since": ["Send an ISO 8601 moment with its offset."]})
        rows = stock_list(
            merchant_id=merchant_id, warehouse_code=warehouse or None, sku=sku or None, changed_since=since
        )
        paginator = StockCursorPagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        inbound = stock_inbound(merchant_id=merchant_id, warehouse_code=warehouse or None) if page else {}
        body = [
            {
                "warehouse": row.warehouse_code,
                "sku": row.sku,
                "on_hand": row.on_hand,
                "reserved": row.reserved,
                "available": row.available,
                "inbound": inbound.get((row.warehouse_code, row.sku), 0),
                "updated_at": row.updated_at,
            }
            for row in page
        ]
        return paginator.get_paginated_response(StockOutput(body, many=True).data)


class AsnLineInput(serializers.Serializer):
    sku = serializers.CharField(max_length=SKU_MAX_LENGTH, validators=[refuse_control_characters])
    quantity = serializers.IntegerField(min_value=1, max_value=limits.QUANTITY_MAX, help_text="Units expected.")


class AsnInput(serializers.Serializer):
    warehouse = serializers.CharField(
        max_length=WAREHOUSE_MAX_LENGTH, validators=[refuse_control_characters], help_text="The warehouse's code."
    )
    expected_at = serializers.DateField(required=False, allow_null=True, default=None)
    lines = AsnLineInput(many=True, min_length=1, max_length=ASN_LINES_MAX, help_text="The same SKU twice is summed.")

    def validate_warehouse(self, value: str) -> str:
        if value not in {w.code for w in warehouse_list()}:
            raise serializers.ValidationError("No such warehouse takes inbound shipments.")
        return value


class AsnLineOutput(serializers.Serializer):
    sku = serializers.CharField()
    expected = serializers.IntegerField()
    accepted = serializers.IntegerField(help_text="Received in good order: now stock.")
    damaged = serializers.IntegerField()
    outstanding = serializers.IntegerField(help_text="Still expected: expected less accepted and damaged, at least 0.")


class AsnReceiptLineOutput(serializers.Serializer):
    sku = serializers.CharField()
    accepted = serializers.IntegerField()
    damaged = serializers.IntegerField()


class AsnReceiptOutput(serializers.Serializer):
    receipt_id = serializers.CharField()
    received_at = serializers.DateTimeField()
    lines = AsnReceiptLineOutput(many=True)


class AsnDiscrepancyOutput(serializers.Serializer):
    sku = serializers.CharField()
    kind = serializers.ChoiceField(choices=AsnDiscrepancy.Kind.choices)
    quantity = serializers.IntegerField()
    receipt_id = serializers.CharField(
        allow_null=True, help_text="The receipt that showed it; null for short on closing."
    )
    recorded_at = serializers.DateTimeField()


class AsnOutput(serializers.Serializer):
    id = serializers.CharField()
    reference = serializers.CharField(help_text="Ours at the warehouse: ASN-<id>. Put it on the cartons.")
    warehouse = serializers.CharField()
    status = serializers.ChoiceField(choices=Asn.Status.choices)
    expected_at = serializers.DateField(allow_null=True)
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    lines = AsnLineOutput(many=True)
    receipts = AsnReceiptOutput(many=True)
    discrepancies = AsnDiscrepancyOutput(many=True)


def asn_out(asn: Asn) -> dict:
    receipts = {r.pk: r for r in asn.receipts.all()}
    return {
        "id": str(asn.pk),
        "reference": asn.external_reference,
        "warehouse": asn.warehouse_code,
        "status": asn.status,
        "expected_at": asn.expected_at,
        "created_at": asn.created_at,
        "closed_at": asn.closed_at,
        "lines": [
            {
                "sku": line.sku,
                "expected": line.expected,
                "accepted": line.accepted,
                "damaged": line.damaged,
                "outstanding": max(line.expected - line.accepted - line.damaged, 0),
            }
            for line in asn.lines.all()
        ],
        "receipts": [
            {"receipt_id": r.receipt_id, "received_at": r.received_at, "lines": r.lines}
            for r in sorted(receipts.values(), key=lambda r: (r.received_at, r.pk))
        ],
        "discrepancies": [
            {
                "sku": d.sku,
                "kind": d.kind,
                "quantity": d.quantity,
                "receipt_id": receipts[d.receipt_id].receipt_id if d.receipt_id in receipts else None,
                "recorded_at": d.recorded_at,
            }
            for d in sorted(asn.discrepancies.all(), key=lambda d: d.pk)
        ],
    }


class AsnListCreateApi(ErpApiView):
    required_scopes = {"GET": "orders:read", "POST": "orders:write"}
    pagination_class = AsnCursorPagination
    query_parameters = frozenset({"warehouse", "cursor", "page_size"})

    @extend_schema(
        operation_id="asns_list",
        parameters=[OpenApiParameter("warehouse", OpenApiTypes.STR, description="A warehouse's code.")],
        responses=AsnOutput(many=True),
        summary="List your inbound shipments (ASNs), newest first",
    )
    def get(self, request):
        warehouse = _text_parameter(request, "warehouse", WAREHOUSE_MAX_LENGTH)
        asns = asn_list(merchant_id=request.auth.merchant_id, warehouse_code=warehouse or None).prefetch_related(
            "lines", "receipts", "discrepancies"
        )
        paginator = AsnCursorPagination()
        page = paginator.paginate_queryset(asns, request, view=self)
        return paginator.get_paginated_response(AsnOutput([asn_out(a) for a in page], many=True).data)

    @extend_schema(
        operation_id="asns_create",
        request=AsnInput,
        responses={201: AsnOutput},
        summary="Announce an inbound shipment (ASN) to a warehouse",
    )
    @idempotent
    def post(self, request):
        payload = AsnInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        asn = asn_create(
            merchant_id=request.auth.merchant_id,
            warehouse_code=data["warehouse"],
            lines=[(line["sku"], line["quantity"]) for line in data["lines"]],
            expected_at=data["expected_at"],
        )
        asn = asn_get(asn_id=asn.pk, merchant_id=request.auth.merchant_id)
        return Response(AsnOutput(asn_out(asn)).data, status=status.HTTP_201_CREATED)


class AsnDetailApi(ErpApiView):
    required_scopes = {"GET": "orders:read"}

    @extend_schema(
        operation_id="asns_retrieve",
        parameters=[ASN_ID],
        responses=AsnOutput,
        summary="Read an inbound shipment with its lines, receipts and discrepancies",
    )
    def get(self, request, asn_id):
        if not (asn_id.isascii() and asn_id.isdigit() and len(asn_id) <= 18):
            raise AsnNotFound(f"ASN {asn_id} does not exist.", extra={"asn_id": asn_id})
        asn = asn_get(asn_id=int(asn_id), merchant_id=request.auth.merchant_id)
        return Response(AsnOutput(asn_out(asn)).data)


urlpatterns = [
    path("stock/", StockListApi.as_view(), name="stock-list"),
    path("asns/", AsnListCreateApi.as_view(), name="asn-list"),
    path("asns/<str:asn_id>/", AsnDetailApi.as_view(), name="asn-detail"),
]
