"""The carriers' door into the platform: tracking webhooks, verified before anything is kept."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.distribution.gateways import InvalidWebhook, UnacceptableWebhook
from apps.distribution.services import tracking_webhook_receive
from apps.resources.exceptions import CarrierNotFound


@csrf_exempt
@require_POST
def carrier_webhook(request, carrier_code):
    try:
        moved = tracking_webhook_receive(carrier_code=carrier_code, headers=dict(request.headers), body=request.body)
    except CarrierNotFound:
        return JsonResponse({"code": "not_found", "message": "Unknown carrier.", "extra": {}}, status=404)
    except UnacceptableWebhook as exc:
        return JsonResponse({"code": "invalid_events", "message": str(exc), "extra": {}}, status=400)
    except InvalidWebhook as exc:
        return JsonResponse({"code": "invalid_signature", "message": str(exc), "extra": {}}, status=401)
    return JsonResponse({"applied": moved})
