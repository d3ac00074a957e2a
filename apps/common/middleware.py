"""The first middleware: each request's id, its log line and its metrics."""

import logging
import time

from apps.common import logs, metrics

logger = logging.getLogger("logistics.requests")

_HEADER_META = "HTTP_" + logs.REQUEST_ID_HEADER.upper().replace("-", "_")
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def view_label(request) -> str:
    """The resolved URL's name (`api:order-list`), never the raw path: a bounded set of labels.
    Requests that matched no URL share one label."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match._func_path


class RequestContextMiddleware:
    """Takes the request id from a valid `X-Request-ID` (a proxy's or a client's) or makes one,
    keeps it in the log context for everything the request does (outbox events recorded in it
    carry it on), answers with it in `X-Request-ID`, and writes one line and the metrics of the
    request. The line names the path without its query string, which may hold a search for a
    name or an email."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = logs.valid_request_id(request.META.get(_HEADER_META)) or logs.new_request_id()
        request.request_id = request_id
        token = logs.replace(request_id=request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            elapsed = time.perf_counter() - started
            view = view_label(request)
            method = request.method if request.method in _METHODS else "other"
            metrics.HTTP_REQUESTS.labels(view=view, method=method, status=str(response.status_code)).inc()
            metrics.HTTP_REQUEST_SECONDS.labels(view=view).observe(elapsed)
            response[logs.REQUEST_ID_HEADER] = request_id
            logger.info("%s %s %s %s %.0f ms", request.method, request.path, view, response.status_code, elapsed * 1000)
            return response
        finally:
            logs.reset(token)
