"""Caps that hold before a request reaches DRF."""

from django.conf import settings

from apps.erp_api.errors import is_api, json_error


class ApiBodySizeLimitMiddleware:
    """A body over `API_MAX_BODY_BYTES` under /api/ is refused with 413 before it is read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_api(request):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return json_error(400, "bad_request", "The Content-Length header is not a number.")
            limit = settings.API_MAX_BODY_BYTES
            if length > limit:
                return json_error(
                    413, "request_too_large", f"The body has {length} bytes; the API takes at most {limit}."
                )
        return self.get_response(request)
