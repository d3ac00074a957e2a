"""A merchant's webhook receiver, for demos: keeps the last requests it got and shows them.

`POST /sandbox/receivers/<name>/` records the request (its `webhook-*` headers and body) and
answers 200, or the status given as `?status=` (for example 503, to watch the retries).
`GET` on the same path lists what arrived, newest first, to a holder of the sandbox's API key
or a staff session only (the bodies are merchants' order news). It does not verify signatures:
it does not know the endpoint's secret (see docs/api.md for how a real receiver verifies).
"""

from django.core.cache import cache
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from apps.sandbox.views import credential_required

KEPT = 50
TTL_SECONDS = 24 * 3600
HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature", "x-wms-signature", "content-type")


def _key(name: str) -> str:
    return f"sandbox-receiver:{name}"


@csrf_exempt
def receiver(request, name: str):
    if request.method == "POST":
        entry = {
            "received_at": timezone.now().isoformat(),
            "headers": {h: request.headers.get(h, "") for h in HEADERS},
            "body": request.body[:20_000].decode(errors="replace"),
        }
        cache.set(_key(name), [entry, *cache.get(_key(name), [])][:KEPT], TTL_SECONDS)
        wanted = request.GET.get("status", "200")
        status = int(wanted) if wanted.isdigit() and 200 <= int(wanted) <= 599 else 200
        return JsonResponse({"received": True}, status=status)
    if request.method == "GET":
        return _received(request, name)
    return JsonResponse({"error": "GET or POST"}, status=405)


@credential_required
def _received(request, name: str):
    return JsonResponse({"requests": cache.get(_key(name), [])})
