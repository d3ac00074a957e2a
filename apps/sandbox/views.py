"""The sandbox carrier API. JSON in, JSON out, like a small real carrier."""

import base64
import hmac
import json
import random
import secrets
import time
from functools import wraps

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from apps.sandbox.labels import render_label
from apps.sandbox.models import SandboxCarrier, SandboxShipment
from apps.sandbox.simulation import send_due_webhooks, shipment_events


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def is_authorized(request) -> bool:
    """The carrier's API key as a bearer token (what the platform's gateway sends), or a staff session."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token and hmac.compare_digest(token.encode(), settings.SANDBOX_API_KEY.encode()):
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_active and user.is_staff)


def credential_required(view):
    """Like a real carrier, the sandbox answers only its customer: its shipments carry every
    merchant's addresses, and its knobs steer what the platform is told."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not is_authorized(request):
            response = _error(401, "send the carrier API key as 'Authorization: Bearer <key>'")
            response["WWW-Authenticate"] = 'Bearer realm="sandbox"'
            return response
        return view(request, *args, **kwargs)

    return guarded


def _carrier(code: str) -> SandboxCarrier:
    carrier, _ = SandboxCarrier.objects.get_or_create(
        code=code,
        defaults={
            "latency_ms": settings.SANDBOX_LATENCY_MS,
            "error_rate": settings.SANDBOX_ERROR_RATE,
            "timeout_rate": settings.SANDBOX_TIMEOUT_RATE,
            "webhook_url": settings.SANDBOX_WEBHOOK_URL.format(code=code) if settings.SANDBOX_WEBHOOK_URL else "",
            "webhook_secret": settings.SANDBOX_WEBHOOK_SECRET,
        },
    )
    return carrier


def failure_answer(system, *, name: str) -> JsonResponse | None:
    """Apply a sandbox system's failure knobs (a carrier's or a WMS's: `outage`, `timeout_rate`,
    `error_rate`): an outage, a hang past the client's timeout, a 503; None to answer normally."""
    if system.outage:
        return _error(503, f"{name} unavailable (outage)")
    if system.timeout_rate and random.random() < system.timeout_rate:
        time.sleep(settings.SANDBOX_HANG_SECONDS)
        return _error(504, f"{name} timed out")
    if system.error_rate and random.random() < system.error_rate:
        return _error(503, f"{name} temporarily unavailable")
    return None


def answer_slowly(system, response: JsonResponse) -> JsonResponse:
    # A slow system does the work, then takes its time to answer: the answer can be lost after
    # the shipment or order exists, which is what idempotency keys and references are for.
    if system.latency_ms:
        time.sleep(system.latency_ms / 1000)
    return response


def _behave(code: str) -> tuple[SandboxCarrier, JsonResponse | None]:
    carrier = _carrier(code)
    return carrier, failure_answer(carrier, name="carrier")


def _shipment_json(shipment: SandboxShipment, request) -> dict:
    return {
        "tracking_number": shipment.tracking_number,
        "service": shipment.service,
        "label_pdf": base64.b64encode(bytes(shipment.label_pdf)).decode(),
        "label_url": request.build_absolute_uri(f"shipments/{shipment.tracking_number}/label.pdf"),
        "created_at": shipment.created_at.isoformat(),
    }


@csrf_exempt
@credential_required
def shipments(request, code):
    return create_shipment(request, code) if request.method == "POST" else shipment_list(request, code)


@require_POST
def create_shipment(request, code):
    carrier, failure = _behave(code)
    if failure:
        return failure
    key = request.headers.get("Idempotency-Key", "")
    if not key:
        return _error(400, "Idempotency-Key header is required")
    try:
        body = json.loads(request.body)
        sender, recipient, parcels = body["sender"], body["recipient"], body["parcels"]
    except (ValueError, KeyError, TypeError):
        return _error(400, "body must be JSON with sender, recipient and parcels")
    if not parcels:
        return _error(422, "at least one parcel is required")
    existing = SandboxShipment.objects.filter(carrier_code=code, idempotency_key=key).first()
    if existing:
        return answer_slowly(carrier, JsonResponse(_shipment_json(existing, request), status=200))
    tracking_number = f"SB{code[:3].upper()}{secrets.randbelow(10**10):010d}"
    weight = sum(int(p.get("weight_g", 0)) for p in parcels)
    label = render_label(
        carrier_code=code,
        service=body.get("service", ""),
        tracking_number=tracking_number,
        reference=body.get("reference", ""),
        sender=sender,
        recipient=recipient,
        weight_g=weight,
    )
    try:
        with transaction.atomic():
            shipment = SandboxShipment.objects.create(
                carrier_code=code,
                idempotency_key=key,
                tracking_number=tracking_number,
                service=body.get("service", ""),
                reference=body.get("reference", ""),
                request=body,
                label_pdf=label,
                delivery_seconds=carrier.delivery_seconds or settings.SANDBOX_DELIVERY_SECONDS,
                created_at=timezone.now(),
            )
    except IntegrityError:
        # The same key raced in twice: answer with the shipment the other request made.
        shipment = SandboxShipment.objects.get(carrier_code=code, idempotency_key=key)
        return answer_slowly(carrier, JsonResponse(_shipment_json(shipment, request), status=200))
    return answer_slowly(carrier, JsonResponse(_shipment_json(shipment, request), status=201))


@credential_required
@require_GET
def tracking(request, code):
    carrier, failure = _behave(code)
    if failure:
        return failure
    numbers = [n for n in request.GET.get("numbers", "").split(",") if n][:100]
    now = timezone.now()
    found = SandboxShipment.objects.filter(carrier_code=code, tracking_number__in=numbers)
    body = {
        "shipments": [
            {
                "tracking_number": s.tracking_number,
                "cancelled": s.cancelled_at is not None,
                "events": shipment_events(s, now),
            }
            for s in found
        ]
    }
    return answer_slowly(carrier, JsonResponse(body))


@csrf_exempt
@credential_required
@require_POST
def cancel_shipment(request, code, tracking_number):
    _, failure = _behave(code)
    if failure:
        return failure
    shipment = SandboxShipment.objects.filter(carrier_code=code, tracking_number=tracking_number).first()
    if shipment is None:
        return _error(404, "no such shipment")
    picked_up = any(e["status"] != "INFO" for e in shipment_events(shipment, timezone.now()))
    if picked_up and not shipment.cancelled_at:
        return _error(409, "shipment already picked up")
    if not shipment.cancelled_at:
        shipment.cancelled_at = timezone.now()
        shipment.save(update_fields=["cancelled_at"])
    return JsonResponse({"tracking_number": tracking_number, "cancelled": True})


@credential_required
@require_GET
def label(request, code, tracking_number):
    shipment = SandboxShipment.objects.filter(carrier_code=code, tracking_number=tracking_number).first()
    if shipment is None:
        return _error(404, "no such shipment")
    return HttpResponse(bytes(shipment.label_pdf), content_type="application/pdf")


KNOBS = {
    "latency_ms": int,
    "error_rate": float,
    "timeout_rate": float,
    "outage": bool,
    "delivery_seconds": int,
    "webhook_url": str,
    "webhook_secret": str,
    "webhook_duplicate_rate": float,
    "webhook_shuffle": bool,
}


@csrf_exempt
@credential_required
def behaviour(request, code):
    """GET the carrier's knobs, or POST some of them as JSON to change how it behaves.

    The webhook secret can be set here but is never shown: whoever reads it could sign tracking
    events the platform would believe; the answer only says whether one is set."""
    carrier = _carrier(code)
    if request.method == "POST":
        try:
            changes = json.loads(request.body or b"{}")
            for name, value in changes.items():
                setattr(carrier, name, KNOBS[name](value) if value is not None else None)
        except (ValueError, KeyError, TypeError):
            return _error(400, f"send JSON with any of {sorted(KNOBS)}")
        carrier.save()
    knobs = {name: getattr(carrier, name) for name in KNOBS if name != "webhook_secret"}
    return JsonResponse({**knobs, "webhook_secret_set": bool(carrier.webhook_secret)})


@require_GET
def shipment_list(request, code):
    """The carrier's shipments, newest first, optionally for one reference (for tests and demos)."""
    shipments = SandboxShipment.objects.filter(carrier_code=code).order_by("-id")
    if request.GET.get("reference"):
        shipments = shipments.filter(reference=request.GET["reference"])
    return JsonResponse(
        {
            "shipments": [
                {
                    "tracking_number": s.tracking_number,
                    "reference": s.reference,
                    "idempotency_key": s.idempotency_key,
                    "created_at": s.created_at.isoformat(),
                    "cancelled": s.cancelled_at is not None,
                }
                for s in shipments[:500]
            ]
        }
    )


@csrf_exempt
@credential_required
@require_POST
def flush_webhooks(request):
    """Send every due tracking webhook now, instead of waiting for beat (for tests and demos)."""
    return JsonResponse({"posts": send_due_webhooks()})
