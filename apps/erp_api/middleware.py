"""Caps that hold before a request reaches DRF, JSON for every failure under /api/, and the
browser's middleware kept off /api/."""

from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware

from apps.erp_api.errors import is_api, json_error

# For an error Django or a middleware answered in HTML under /api/: the code and message instead.
_HTML_ERRORS = {
    400: ("bad_request", "The request is malformed."),
    403: ("permission_denied", "Forbidden."),
    404: ("not_found", "There is no API endpoint at this path."),
    405: ("method_not_allowed", "The endpoint does not take this method."),
    413: ("request_too_large", "The body is larger than the API takes."),
}
_SERVER_ERROR = ("server_error", "Something failed on our side and was logged; try again later.")


class ApiJsonErrorsMiddleware:
    """Under /api/ every answer is JSON, even what Django answers itself in HTML.

    `handler404`/`handler500` (logistics/urls.py) cover production, but with `DEBUG` on Django
    answers an unknown path or a crash with its HTML debug page instead, and a middleware below
    this one may fail on its own. The page was logged already (django.request); the client gets
    the API's error format, with nothing of the inside.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not is_api(request) or response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        status = response.status_code
        code, message = _SERVER_ERROR if status >= 500 else _HTML_ERRORS.get(status, ("error", "The request failed."))
        answer = json_error(status, code, message)
        for header in ("Retry-After", "WWW-Authenticate", "Allow"):
            if header in response:
                answer[header] = response[header]
        return answer


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


class _OutsideApi:
    """A browser's middleware that lets requests under /api/ pass straight on.

    The API authenticates by API key alone (`ApiKeyAuthentication`, the only authentication
    class), so sessions, the logged-in user and flash messages do nothing there but cost about a
    tenth of a request's CPU. Without a session nothing under /api/ can be authenticated by a
    cookie, so a forged cross-site request has nothing to ride on; `CsrfViewMiddleware` stays on
    every path all the same. Portal and admin keep all of it.
    """

    def __call__(self, request):
        if is_api(request):
            return self.get_response(request)
        return super().__call__(request)


class SessionMiddlewareOutsideApi(_OutsideApi, SessionMiddleware):
    pass


class AuthenticationMiddlewareOutsideApi(_OutsideApi, AuthenticationMiddleware):
    pass


class MessageMiddlewareOutsideApi(_OutsideApi, MessageMiddleware):
    pass
