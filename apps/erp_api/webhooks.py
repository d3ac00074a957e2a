"""The webhooks endpoints (scope `webhooks`): register endpoints, rotate their secrets, follow
deliveries and their attempts, and ask for a redelivery. Thin adapters over apps.webhooks."""

import json
from datetime import timedelta

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from apps.common.text import refuse_control_characters
from apps.erp_api.base import ErpApiView
from apps.erp_api.idempotency import idempotent, secret_bearing
from apps.erp_api.views import OrderCursorPagination
from apps.webhooks.catalog import EVENT_TYPES
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint
from apps.webhooks.selectors import delivery_get, delivery_list, endpoint_get, endpoint_list
from apps.webhooks.services import (
    delivery_redeliver,
    endpoint_create,
    endpoint_delete,
    endpoint_rotate_secret,
    endpoint_update,
)
from apps.webhooks.signing import masked

SCOPE = "webhooks"
ENDPOINT_ID = OpenApiParameter("endpoint_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The endpoint's id.")
DELIVERY_ID = OpenApiParameter("delivery_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The delivery's id.")
EVENT_TYPE_CHOICES = sorted(EVENT_TYPES)
DELIVERY_STATES = [value for value, _ in WebhookDelivery.State.choices]


class WebhookCursorPagination(OrderCursorPagination):
    page_size_query_description = "Rows per page: 1 or more, 50 by default; more than 200 gives 200."


class EndpointInput(serializers.Serializer):
    url = serializers.URLField(
        max_length=2000, help_text="http(s); must resolve to a public address.", validators=[refuse_control_characters]
    )
    description = serializers.CharField(
        max_length=200, required=False, default="", allow_blank=True, validators=[refuse_control_characters]
    )
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPE_CHOICES), min_length=1, max_length=len(EVENT_TYPE_CHOICES)
    )
    enabled = serializers.BooleanField(required=False, default=True)


class EndpointPatchInput(serializers.Serializer):
    url = serializers.URLField(max_length=2000, required=False, validators=[refuse_control_characters])
    description = serializers.CharField(
        max_length=200, required=False, allow_blank=True, validators=[refuse_control_characters]
    )
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPE_CHOICES),
        min_length=1,
        max_length=len(EVENT_TYPE_CHOICES),
        required=False,
    )
    enabled = serializers.BooleanField(required=False)


class RotateSecretInput(serializers.Serializer):
    overlap_hours = serializers.IntegerField(
        min_value=0,
        max_value=168,
        required=False,
        default=24,
        help_text="How long the previous secret keeps signing too (0: it stops now).",
    )


class EndpointOutput(serializers.Serializer):
    id = serializers.CharField()
    url = serializers.CharField()
    description = serializers.CharField()
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_TYPE_CHOICES))
    enabled = serializers.BooleanField()
    disabled_reason = serializers.CharField(help_text="Why it is disabled, e.g. it answered 410 Gone.")
    secret = serializers.CharField(
        help_text="The signing secret in full only in the answers to create and rotate-secret; masked elsewhere."
    )
    previous_secret_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="Until when the previous secret signs too (after a rotation)."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class AttemptOutput(serializers.Serializer):
    started_at = serializers.DateTimeField()
    duration_ms = serializers.IntegerField()
    status_code = serializers.IntegerField(allow_null=True, help_text="Null when no answer came (see error).")
    succeeded = serializers.BooleanField()
    response_excerpt = serializers.CharField(help_text="The first 1000 bytes of the answer.")
    error = serializers.CharField(help_text="Why no answer came: timeout, refused connection, refused address.")


class DeliveryOutput(serializers.Serializer):
    id = serializers.CharField()
    endpoint_id = serializers.CharField()
    event_id = serializers.CharField(help_text="The `webhook-id` header: the same on every retry and redelivery.")
    event_type = serializers.ChoiceField(choices=EVENT_TYPE_CHOICES)
    state = serializers.ChoiceField(choices=DELIVERY_STATES)
    attempt_count = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    payload = serializers.DictField(help_text="The body sent: type, timestamp and data (the order and its version).")
    created_at = serializers.DateTimeField()


class DeliveryDetailOutput(DeliveryOutput):
    attempts = AttemptOutput(many=True)


def endpoint_out(endpoint: WebhookEndpoint, *, secret: str | None = None) -> dict:
    return {
        "id": str(endpoint.pk),
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": endpoint.event_types,
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "secret": secret if secret is not None else masked(endpoint.secret),
        "previous_secret_expires_at": endpoint.previous_secret_expires_at,
        "created_at": endpoint.created_at,
        "updated_at": endpoint.updated_at,
    }


def delivery_out(delivery: WebhookDelivery, *, with_attempts: bool = False) -> dict:
    out = {
        "id": str(delivery.pk),
        "endpoint_id": str(delivery.endpoint_id),
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "state": delivery.state,
        "attempt_count": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "payload": json.loads(delivery.body),
        "created_at": delivery.created_at,
    }
    if with_attempts:
        out["attempts"] = AttemptOutput(delivery.attempt_log.all(), many=True).data
    return out


REPLAY_NOTICE = (
    "This answers a retry with the same Idempotency-Key: the secret was shown in full only in the first "
    "answer and is not kept for retries. If it was lost, rotate it (POST .../rotate-secret/)."
)


def _with_secret(endpoint: WebhookEndpoint, secret: str, *, status: int) -> Response:
    """The answer that shows the new secret this once; a retry gets it masked, with a notice."""
    response = Response(EndpointOutput(endpoint_out(endpoint, secret=secret)).data, status=status)
    redacted = {**EndpointOutput(endpoint_out(endpoint)).data, "secret_notice": REPLAY_NOTICE}
    return secret_bearing(response, replay_content=JSONRenderer().render(redacted))


class WebhookEndpointListCreateApi(ErpApiView):
    required_scopes = {"GET": SCOPE, "POST": SCOPE}
    pagination_class = WebhookCursorPagination
    query_parameters = frozenset({"cursor", "page_size"})

    @extend_schema(
        operation_id="webhook_endpoints_list",
        responses=EndpointOutput(many=True),
        summary="List webhook endpoints, newest first",
    )
    def get(self, request):
        paginator = WebhookCursorPagination()
        page = paginator.paginate_queryset(endpoint_list(merchant_id=request.auth.merchant_id), request, view=self)
        return paginator.get_paginated_response(EndpointOutput([endpoint_out(e) for e in page], many=True).data)

    @extend_schema(
        operation_id="webhook_endpoints_create",
        request=EndpointInput,
        responses={201: EndpointOutput},
        summary="Register a webhook endpoint; the answer carries its secret, shown this once",
    )
    @idempotent
    def post(self, request):
        payload = EndpointInput(data=request.data)
        payload.is_valid(raise_exception=True)
        endpoint, secret = endpoint_create(merchant_id=request.auth.merchant_id, **payload.validated_data)
        return _with_secret(endpoint, secret, status=status.HTTP_201_CREATED)


class WebhookEndpointDetailApi(ErpApiView):
    required_scopes = {"GET": SCOPE, "PATCH": SCOPE, "DELETE": SCOPE}

    @extend_schema(
        operation_id="webhook_endpoints_retrieve",
        parameters=[ENDPOINT_ID],
        responses=EndpointOutput,
        summary="Read a webhook endpoint",
    )
    def get(self, request, endpoint_id):
        endpoint = endpoint_get(merchant_id=request.auth.merchant_id, endpoint_id=endpoint_id)
        return Response(EndpointOutput(endpoint_out(endpoint)).data)

    @extend_schema(
        operation_id="webhook_endpoints_update",
        parameters=[ENDPOINT_ID],
        request=EndpointPatchInput,
        responses=EndpointOutput,
        summary="Change a webhook endpoint's URL, description, event types, or enable/disable it",
    )
    def patch(self, request, endpoint_id):
        payload = EndpointPatchInput(data=request.data)
        payload.is_valid(raise_exception=True)
        endpoint = endpoint_update(
            merchant_id=request.auth.merchant_id, endpoint_id=endpoint_id, **payload.validated_data
        )
        return Response(EndpointOutput(endpoint_out(endpoint)).data)

    @extend_schema(
        operation_id="webhook_endpoints_destroy",
        parameters=[ENDPOINT_ID],
        responses={204: None},
        summary="Remove a webhook endpoint with its deliveries",
    )
    def delete(self, request, endpoint_id):
        endpoint_delete(merchant_id=request.auth.merchant_id, endpoint_id=endpoint_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookEndpointRotateSecretApi(ErpApiView):
    required_scopes = {"POST": SCOPE}

    @extend_schema(
        operation_id="webhook_endpoints_rotate_secret",
        parameters=[ENDPOINT_ID],
        request=RotateSecretInput,
        responses=EndpointOutput,
        summary="Make a new signing secret; the old one keeps signing too for the overlap",
    )
    @idempotent
    def post(self, request, endpoint_id):
        payload = RotateSecretInput(data=request.data)
        payload.is_valid(raise_exception=True)
        endpoint, secret = endpoint_rotate_secret(
            merchant_id=request.auth.merchant_id,
            endpoint_id=endpoint_id,
            overlap=timedelta(hours=payload.validated_data["overlap_hours"]),
        )
        return _with_secret(endpoint, secret, status=status.HTTP_200_OK)


class WebhookDeliveryListApi(ErpApiView):
    required_scopes = {"GET": SCOPE}
    pagination_class = WebhookCursorPagination
    query_parameters = frozenset({"endpoint", "state", "cursor", "page_size"})

    @extend_schema(
        operation_id="webhook_deliveries_list",
        parameters=[
            OpenApiParameter(
                "endpoint",
                {"type": "string", "pattern": "^[0-9]*$"},
                OpenApiParameter.QUERY,
                description="Only this endpoint's deliveries.",
            ),
            OpenApiParameter(
                "state",
                {"type": "string", "enum": ["", *DELIVERY_STATES]},
                OpenApiParameter.QUERY,
                description="Only deliveries in this state.",
            ),
        ],
        responses=DeliveryOutput(many=True),
        summary="List webhook deliveries, newest first",
    )
    def get(self, request):
        endpoint = request.query_params.get("endpoint", "")
        state = request.query_params.get("state", "")
        if endpoint and not (endpoint.isascii() and endpoint.isdigit() and len(endpoint) <= 18):
            raise ValidationError({"endpoint": ["Send an endpoint id."]})
        if state and state not in DELIVERY_STATES:
            raise ValidationError({"state": [f"Send one of {', '.join(DELIVERY_STATES)}."]})
        deliveries = delivery_list(
            merchant_id=request.auth.merchant_id, endpoint_id=int(endpoint) if endpoint else None, state=state or None
        )
        paginator = WebhookCursorPagination()
        page = paginator.paginate_queryset(deliveries, request, view=self)
        return paginator.get_paginated_response(DeliveryOutput([delivery_out(d) for d in page], many=True).data)


class WebhookDeliveryDetailApi(ErpApiView):
    required_scopes = {"GET": SCOPE}

    @extend_schema(
        operation_id="webhook_deliveries_retrieve",
        parameters=[DELIVERY_ID],
        responses=DeliveryDetailOutput,
        summary="Read a webhook delivery with its attempts",
    )
    def get(self, request, delivery_id):
        delivery = delivery_get(merchant_id=request.auth.merchant_id, delivery_id=delivery_id)
        return Response(DeliveryDetailOutput(delivery_out(delivery, with_attempts=True)).data)


class WebhookDeliveryRedeliverApi(ErpApiView):
    required_scopes = {"POST": SCOPE}

    @extend_schema(
        operation_id="webhook_deliveries_redeliver",
        parameters=[DELIVERY_ID],
        request=None,
        responses={202: DeliveryOutput},
        summary="Send a delivery again within seconds, with the same event id",
    )
    @idempotent
    def post(self, request, delivery_id):
        delivery = delivery_redeliver(merchant_id=request.auth.merchant_id, delivery_id=delivery_id)
        return Response(DeliveryOutput(delivery_out(delivery)).data, status=status.HTTP_202_ACCEPTED)


urlpatterns = [
    path("webhooks/endpoints/", WebhookEndpointListCreateApi.as_view(), name="webhook-endpoint-list"),
    path("webhooks/endpoints/<str:endpoint_id>/", WebhookEndpointDetailApi.as_view(), name="webhook-endpoint-detail"),
    path(
        "webhooks/endpoints/<str:endpoint_id>/rotate-secret/",
        WebhookEndpointRotateSecretApi.as_view(),
        name="webhook-endpoint-rotate-secret",
    ),
    path("webhooks/deliveries/", WebhookDeliveryListApi.as_view(), name="webhook-delivery-list"),
    path("webhooks/deliveries/<str:delivery_id>/", WebhookDeliveryDetailApi.as_view(), name="webhook-delivery-detail"),
    path(
        "webhooks/deliveries/<str:delivery_id>/redeliver/",
        WebhookDeliveryRedeliverApi.as_view(),
        name="webhook-delivery-redeliver",
    ),
]
