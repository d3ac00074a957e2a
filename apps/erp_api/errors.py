"""One error format for every failure: {"code", "message", "extra"}.

DRF exceptions and domain errors go through `exception_handler`; failures Django answers before
or after DRF (an unknown URL, a crash, a body over the size cap) go through the `json_*` views,
which `logistics.urls` installs as handler404/handler500 for paths under /api/.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from apps.common.exceptions import DomainError

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
# A database that cannot be reached (restarting, failing over, out of connections) is a moment's
# trouble, not a crash: the client is told to come back, in the one format (tests/chaos).
DATABASE_RETRY_AFTER_SECONDS = 5


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


def error_body(code: str, message: str, extra: dict | None = None) -> dict:
    return {"code": code, "message": message, "extra": extra or {}}


def known_error(exc: Exception) -> tuple[int, dict] | None:
    """The status and body for an exception the API answers itself, or None for a crash."""
    if isinstance(exc, DomainError):
        return exc.http_status, error_body(exc.code, exc.message, exc.extra)
    if isinstance(exc, (OperationalError, InterfaceError)):
        return 503, error_body("service_unavailable", "The service is briefly unavailable; try again shortly.")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, exceptions.ValidationError):
        fields = field_paths(exc.detail)
        return exc.status_code, error_body("validation_error", "The request has invalid fields.", {"fields": fields})
    if isinstance(exc, exceptions.APIException):
        code = exc.get_codes()
        return exc.status_code, error_body(code if isinstance(code, str) else "error", str(exc.detail))
    return None


def exception_handler(exc, context):
    known = known_error(exc)
    if known is None:
        return None  # DRF re-raises; Django's handler500 answers in this format under /api/
    status, body = known
    if isinstance(exc, DomainError):
        return Response(body, status=status)
    if isinstance(exc, (OperationalError, InterfaceError)):
        logger.warning("answered 503: the database is unreachable (%s)", exc)
        return Response(body, status=status, headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)})
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)  # sets WWW-Authenticate and Retry-After
    response.data = body
    return response


def json_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status)


def is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def api_or_default(default_view, status: int, code: str, message: str):
    """A Django error handler that answers JSON under /api/ and defers to Django elsewhere."""

    def view(request, exception=None):
        if is_api(request):
            return json_error(status, code, message)
        return default_view(request, exception) if exception is not None else default_view(request)

    return view
