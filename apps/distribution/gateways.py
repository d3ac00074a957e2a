"""Carrier gateways: one adapter per gateway kind behind one interface. HTTP only, no ORM.

An adapter turns the platform's booking request into the carrier's protocol, classifies the
carrier's failures as transient (retry later) or permanent (give up), and normalizes the
carrier's tracking vocabulary into the platform's milestones.
"""

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx
from django.conf import settings
from django.utils import timezone

from apps.common import logs
from apps.distribution.exceptions import CarrierPermanentError, CarrierTransientError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BookingRequest:
    idempotency_key: str
    service_code: str
    reference: str
    sender: dict[str, str]
    recipient: dict[str, str]
    parcels: list[dict[str, Any]]


@dataclass(frozen=True)
class Booking:
    tracking_number: str
    label_pdf: bytes


@dataclass(frozen=True)
class TrackingUpdate:
    milestone: str
    carrier_status: str
    description: str
    location: str
    occurred_at: datetime


@dataclass(frozen=True)
class CallRecord:
    """What a gateway reports about each call it made, for the call log and health figures."""

    operation: str
    method: str
    path: str
    status_code: int | None
    outcome: str  # ok, refused or failed
    duration_ms: int
    error: str = ""


CallObserver = Callable[[CallRecord], None]


class InvalidWebhook(Exception):
    """A webhook whose signature or timestamp does not check out."""


class UnacceptableWebhook(InvalidWebhook):
    """A correctly signed webhook none of whose events can be believed (no zone, in the future)."""


def event_time_problem(occurred_at: datetime) -> str:
    """Why a carrier event's time cannot be believed, or "" when it can.

    A time without a zone could be any of 26 hours; one further ahead than the clocks' skew
    (`CARRIER_EVENT_MAX_FUTURE_SECONDS`) would stand as the latest event until that day, so the
    real ones after it (delivered, say) would never move the parcel.
    """
    if timezone.is_naive(occurred_at):
        return "its time has no zone"
    if occurred_at > timezone.now() + timedelta(seconds=settings.CARRIER_EVENT_MAX_FUTURE_SECONDS):
        return "its time is in the future"
    return ""


def believable_event_time(raw: Any) -> datetime | None:
    """The event's time, or None (logged) when it is unreadable, has no zone, or is in the future."""
    try:
        occurred_at = datetime.fromisoformat(raw)
    except (TypeError, ValueError):
        logger.warning("carrier event skipped: unreadable time %r", raw)
        return None
    problem = event_time_problem(occurred_at)
    if problem:
        logger.warning("carrier event skipped: %s (%s)", problem, raw)
        return None
    return occurred_at


class CarrierGateway(Protocol):
    def book(self, request: BookingRequest) -> Booking: ...

    def cancel(self, tracking_number: str) -> None: ...

    def label(self, tracking_number: str) -> bytes: ...

    def track(self, tracking_numbers: list[str]) -> dict[str, list[TrackingUpdate]]: ...

    def parse_webhook(
        self, *, headers: dict[str, str], body: bytes, secret: str, tolerance_seconds: int
    ) -> dict[str, list[TrackingUpdate]]: ...


class SandboxGateway:
    """The sandbox carrier's JSON API (apps.sandbox), spoken over real HTTP."""

    MILESTONES = {
        "INFO": "info_received",
        "PICKUP": "picked_up",
        "TRANSIT": "in_transit",
        "CUSTOMS_HOLD": "customs_hold",
        "CUSTOMS_RELEASED": "in_transit",
        "OUT_FOR_DELIVERY": "out_for_delivery",
        "ATTEMPT_FAILED": "delivery_failed",
        "DELIVERED": "delivered",
        "RETURNED": "returned",
        "EXCEPTION": "exception",
    }

    def __init__(
        self, *, endpoint_url: str, api_key: str, timeout: float | None = None, observer: CallObserver | None = None
    ) -> None:
        self.observer = observer
        seconds = timeout if timeout is not None else settings.CARRIER_HTTP_TIMEOUT_SECONDS
        self.client = httpx.Client(
            base_url=endpoint_url.rstrip("/") + "/",
            timeout=httpx.Timeout(seconds, connect=min(seconds, 3.0)),
            headers={"Authorization": f"Bearer {api_key}"} if api_key else {},
        )

    def _call(self, operation: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        started = time.monotonic()
        status, outcome, error = None, "ok", ""
        request_id = logs.current_request_id()
        if request_id:  # the carrier's logs (the sandbox's too) can then name the order's request
            kwargs["headers"] = {**kwargs.get("headers", {}), logs.REQUEST_ID_HEADER: request_id}
        try:
            response = self.client.request(method, path, **kwargs)
            status = response.status_code
            if status == 429 or status >= 500:
                outcome, error = "failed", f"carrier answered {status}"
                raise CarrierTransientError(f"carrier answered {status} to {path}")
            if status >= 400:
                detail = response.json().get("error", response.text) if response.content else ""
                outcome, error = "refused", str(detail)
                raise CarrierPermanentError(f"Carrier refused: {detail}", extra={"status": status})
            return response
        except httpx.LocalProtocolError as exc:
            # Our own request is malformed (bad credentials configured, say): retrying cannot help.
            outcome, error = "refused", f"{type(exc).__name__}: {exc}"
            raise CarrierPermanentError(f"Request to the carrier is malformed: {exc}") from exc
        except httpx.TransportError as exc:
            outcome, error = "failed", f"{type(exc).__name__}: {exc}"
            raise CarrierTransientError(f"{type(exc).__name__} calling {path}: {exc}") from exc
        finally:
            if self.observer is not None:
                self.observer(
                    CallRecord(
                        operation=operation,
                        method=method,
                        path=path.split("?")[0],
                        status_code=status,
                        outcome=outcome,
                        error=error[:300],
                        duration_ms=int((time.monotonic() - started) * 1000),
                    )
                )

    def book(self, request: BookingRequest) -> Booking:
        response = self._call(
            "book",
            "POST",
            "shipments/",
            json={
                "service": request.service_code,
                "reference": request.reference,
                "sender": request.sender,
                "recipient": request.recipient,
                "parcels": request.parcels,
            },
            headers={"Idempotency-Key": request.idempotency_key},
        )
        body = response.json()
        # Some carriers make the label after the booking: then the answer has none and it is fetched later.
        return Booking(tracking_number=body["tracking_number"], label_pdf=base64.b64decode(body.get("label_pdf") or ""))

    def cancel(self, tracking_number: str) -> None:
        self._call("cancel", "POST", f"shipments/{tracking_number}/cancel/")

    def label(self, tracking_number: str) -> bytes:
        """The carrier's own label for a booked shipment (fetched again, e.g. after a reprint)."""
        return self._call("label", "GET", f"shipments/{tracking_number}/label.pdf").content

    def _updates(self, shipments: list[dict]) -> dict[str, list[TrackingUpdate]]:
        """The carrier's events per tracking number; events whose time cannot be believed are skipped."""
        updates: dict[str, list[TrackingUpdate]] = {}
        for shipment in shipments:
            kept = updates.setdefault(shipment["tracking_number"], [])
            for event in shipment["events"]:
                occurred_at = believable_event_time(event["occurred_at"])
                if occurred_at is not None:
                    kept.append(
                        TrackingUpdate(
                            milestone=self.MILESTONES.get(event["status"], "in_transit"),
                            carrier_status=event["status"],
                            description=event.get("description", ""),
                            location=event.get("location", ""),
                            occurred_at=occurred_at,
                        )
                    )
        return updates

    def track(self, tracking_numbers: list[str]) -> dict[str, list[TrackingUpdate]]:
        response = self._call("track", "GET", "tracking/", params={"numbers": ",".join(tracking_numbers)})
        return self._updates(response.json()["shipments"])

    def parse_webhook(
        self, *, headers: dict[str, str], body: bytes, secret: str, tolerance_seconds: int
    ) -> dict[str, list[TrackingUpdate]]:
        """Check `X-Sandbox-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`."""
        fields = dict(part.split("=", 1) for part in headers.get("x-sandbox-signature", "").split(",") if "=" in part)
        timestamp, signature = fields.get("t", ""), fields.get("v1", "")
        if not timestamp.isdigit() or not signature:
            raise InvalidWebhook("missing or malformed signature header")
        if abs(time.time() - int(timestamp)) > tolerance_seconds:
            raise InvalidWebhook("timestamp outside the tolerance")
        expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise InvalidWebhook("signature does not match")
        try:
            shipments = json.loads(body)["shipments"]
            updates = self._updates(shipments)
            sent = sum(len(shipment["events"]) for shipment in shipments)
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidWebhook(f"unreadable body: {exc}") from exc
        if sent and not any(updates.values()):
            raise UnacceptableWebhook(
                "no event has a believable time (each needs a zone and no more than "
                f"{settings.CARRIER_EVENT_MAX_FUTURE_SECONDS} seconds in the future)"
            )
        return updates


GATEWAYS = {"sandbox": SandboxGateway}


def gateway_for(
    *, gateway_kind: str, endpoint_url: str = "", api_key: str = "", observer: CallObserver | None = None
) -> CarrierGateway:
    return GATEWAYS[gateway_kind](endpoint_url=endpoint_url, api_key=api_key, observer=observer)
