"""One error format for every failure: {"code", "message", "extra"}."""

from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from apps.common.exceptions import DomainError


def field_paths(detail, prefix: str = "") -> dict[str, list[str]]:
    """Flatten DRF's nested error detail into {"parcels[0].items[0].hs_code": [...]}."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(key, int):  # DRF reports errors of a list's members keyed by their index
                path = f"{prefix}[{key}]"
            elif not prefix:
                path = key
            else:
                path = f"{prefix}.{key}" if key != "non_field_errors" else prefix
            out.update(field_paths(value, path))
        return out
    if isinstance(detail, list) and detail and all(not isinstance(d, (dict, list)) for d in detail):
        return {prefix or "body": [str(d) for d in detail]}
    if isinstance(detail, list):
        out = {}
        for index, value in enumerate(detail):
            out.update(field_paths(value, f"{prefix}[{index}]"))
        return out
    return {prefix or "body": [str(detail)]}


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response({"code": exc.code, "message": exc.message, "extra": exc.extra}, status=exc.http_status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = {
            "code": "validation_error",
            "message": "The request has invalid fields.",
            "extra": {"fields": field_paths(exc.detail)},
        }
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        body = {"code": code if isinstance(code, str) else "error", "message": str(detail), "extra": {}}
    response.data = body
    return response
