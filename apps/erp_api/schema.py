"""The OpenAPI schema of the ERP API (drf-spectacular): security, standard errors, headers.

Views describe their own request and success shapes with `extend_schema`; this module adds what
every operation shares, so the schema cannot forget it: the error responses each kind of
operation can give (in the one error format), `Idempotency-Key` on every POST,
`Idempotent-Replayed` on POST answers, and `Retry-After` on 429.
"""

import django_filters
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from apps.erp_api.idempotency import HEADER, MAX_KEY_LENGTH, REPLAYED_HEADER

ERROR_DESCRIPTIONS = {
    "400": "Invalid request (`validation_error` with `extra.fields` by path, `parse_error`)",
    "401": "No key, or an unknown, revoked or expired key",
    "403": "The key lacks the scope for this operation",
    "404": (
        "Not found, or another merchant's (`order_not_found`, `webhook_endpoint_not_found`, "
        "`webhook_delivery_not_found`, `asn_not_found`, `not_found`)"
    ),
    "409": (
        "Conflict (`duplicate_reference`, `order_not_cancellable`, `version_conflict`, `idempotency_key_in_use`, "
        "`webhook_endpoint_disabled`, `out_of_stock` with `extra.short`: the units short per SKU)"
    ),
    "413": "The body is over the size cap (`request_too_large`)",
    "415": "The body is not JSON (`unsupported_media_type`)",
    "422": "Cannot be done as asked (`no_route`, `idempotency_key_reused`, `unsafe_webhook_url`)",
    "429": "Rate limit of the key (or of the client address) reached (`throttled`); see Retry-After",
}


class ErrorOutput(serializers.Serializer):
    code = serializers.CharField(help_text="A machine code, for example `validation_error` or `order_not_found`.")
    message = serializers.CharField(help_text="What went wrong, for a person.")
    extra = serializers.DictField(
        help_text='Details. For validation errors `{"fields": {"parcels[0].items[0].hs_code": ["..."]}}`.'
    )


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "apps.erp_api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "lgk_<prefix>_<secret>",
            "description": "An API key from the portal: `Authorization: Bearer lgk_...`.",
        }


def _error_codes(*, method: str, authenticated: bool, has_path_params: bool, paginated: bool) -> list[str]:
    codes = {"429"}
    if authenticated:
        codes |= {"401", "403"}
    if has_path_params or paginated:
        codes.add("404")
    if method == "GET":
        codes.add("400")  # filters and query parameters are validated
    if method == "POST":
        codes |= {"400", "409", "413", "415", "422"}
    if method == "PATCH":
        codes |= {"400", "413", "415", "422"}
    return sorted(codes)


class ErpAutoSchema(AutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # drf-spectacular leaves out the length limits of a nested list (`many=True`), which
        # the API enforces (an order's 1 to 50 parcels, a bulk's 1 to 500 orders).
        if isinstance(field, serializers.ListSerializer) and schema:
            if field.min_length is not None:
                schema["minItems"] = field.min_length
            if field.max_length is not None:
                schema["maxItems"] = field.max_length
        return schema

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        # A blank-allowed field with a pattern or format comes out as `oneOf: [{pattern, default: ""},
        # {maxLength: 0}]`: its "" default sits in the branch that refuses "", and validators refuse
        # the schema. The default belongs to the field, beside the oneOf, where "" is valid.
        for branch in schema.get("oneOf", []):
            if "default" in branch:
                schema.setdefault("default", branch.pop("default"))

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        authenticated = not any(isinstance(p, AllowAny) for p in self.view.get_permissions())
        error_ref = self.resolve_serializer(ErrorOutput, "response").ref
        json_error = {"content": {"application/json": {"schema": error_ref}}}
        responses = operation.setdefault("responses", {})
        codes = _error_codes(
            method=self.method,
            authenticated=authenticated,
            has_path_params="{" in path,
            paginated=self.method == "GET" and self._get_paginator() is not None,
        )
        for code in codes:
            responses.setdefault(code, {"description": ERROR_DESCRIPTIONS[code], **json_error})
        if "429" in responses:
            responses["429"].setdefault("headers", {})["Retry-After"] = {
                "schema": {"type": "integer"},
                "description": "Seconds until a request will be let through again.",
            }
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query":
                parameter["allowEmptyValue"] = True  # `?page_size=` means the parameter is not given
        if self.method == "POST":
            operation.setdefault("parameters", []).append(
                {
                    "in": "header",
                    "name": HEADER,
                    "required": False,
                    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[!-~]+$"},
                    "description": (
                        "Makes the POST safe to retry for 24 hours: the same key with the same body replays the "
                        "first response; with a different body it is 422; while the first is running, 409."
                    ),
                }
            )
            for code, response in responses.items():
                if code not in {"401", "403", "413", "429"}:  # those are answered before the view runs
                    response.setdefault("headers", {})[REPLAYED_HEADER] = {
                        "schema": {"type": "string", "enum": ["true"]},
                        "description": "Present when this is the kept response of an earlier request with the key.",
                    }
        return operation


def filter_parameters(filterset_class) -> list[OpenApiParameter]:
    """Query parameters of a django-filter FilterSet, typed from its filters. An empty value
    means "no filter" (as in an HTML form), so choices include ""."""
    parameters = []
    for name, f in filterset_class.base_filters.items():
        schema: dict = {"type": "string"}
        many = False
        if isinstance(f, django_filters.ChoiceFilter | django_filters.MultipleChoiceFilter):
            schema = {"type": "string", "enum": ["", *(str(value) for value, _ in f.extra["choices"])]}
            many = isinstance(f, django_filters.MultipleChoiceFilter)
        elif isinstance(f, django_filters.BooleanFilter):
            schema = {"type": "string", "enum": ["", "true", "false"]}
        elif isinstance(f, django_filters.IsoDateTimeFilter):
            schema = {"type": "string", "format": "date-time"}
        if many:
            schema = {"type": "array", "items": schema}
        description = str(f.label or name.replace("_", " ").capitalize())
        parameters.append(
            OpenApiParameter(name, schema, OpenApiParameter.QUERY, description=description, explode=many or None)
        )
    return parameters


def only_the_api(endpoints):
    """Preprocessing hook: the schema documents the ERP API, not the portal, admin or sandbox."""
    return [e for e in endpoints if e[0].startswith("/api/v1/")]
