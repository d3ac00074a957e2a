"""The WMSes' door into the platform: webhooks with order progress and receipts, verified before
anything is kept. A duplicate or stale webhook is answered 200 (it changes nothing), so the WMS
stops sending it; a bad signature 401; an unknown warehouse 404."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.resources.exceptions import WarehouseNotFound
from apps.warehouse.exceptions import AsnNotFound
from apps.warehouse.services import warehouse_wms_webhook_receive
from apps.warehouse.wms import InvalidWmsWebhook


def _error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, "extra": {}}, status=status)


@csrf_exempt
@require_POST
def wms_webhook(request, warehouse_code):
    try:
        kind = warehouse_wms_webhook_receive(
            warehouse_code=warehouse_code, body=request.body, headers=dict(request.headers)
        )
    except WarehouseNotFound:
        return _error("not_found", "Unknown warehouse.", 404)
    except InvalidWmsWebhook as exc:
        return _error("invalid_signature", str(exc), 401)
    except AsnNotFound as exc:
        return _error("asn_not_found", exc.message, 404)
    return JsonResponse({"applied": kind})
