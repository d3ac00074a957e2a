"""Carrier gateways: one adapter per gateway kind behind one interface. HTTP only, no ORM.

An adapter turns the platform's booking request into the carrier's protocol, classifies the
carrier's failures as transient (retry later) or permanent (give up), and normalizes the
carrier's tracking vocabulary into the platform's milestones.
"""

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx
from django.conf import settings

from apps.distribution.exceptions import CarrierPermanentError, CarrierTransientError


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


class CarrierGateway(Protocol):
    def book(self, request: BookingRequest) -> Booking: ...

    def cancel(self, tracking_number: str) -> None: ...

    def track(self, tracking_numbers: list[str]) -> dict[str, list[TrackingUpdate]]: ...


class SandboxGateway:
    """The sandbox carrier's JSON API (apps.sandbox), spoken over real HTTP."""

    MILESTONES = {
        "INFO": "info_received",
        "PICKUP": "picked_up",
        "TRANSIT": "in_transit",
        "OUT_FOR_DELIVERY": "out_for_delivery",
        "DELIVERED": "delivered",
        "EXCEPTION": "exception",
    }

    def __init__(self, *, endpoint_url: str, api_key: str, timeout: float | None = None) -> None:
        seconds = timeout if timeout is not None else settings.CARRIER_HTTP_TIMEOUT_SECONDS
        self.client = httpx.Client(
            base_url=endpoint_url.rstrip("/") + "/",
            timeout=httpx.Timeout(seconds, connect=min(seconds, 3.0)),
            headers={"Authorization": f"Bearer {api_key}"},
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise CarrierTransientError(f"{type(exc).__name__} calling {path}: {exc}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise CarrierTransientError(f"carrier answered {response.status_code} to {path}")
        if response.status_code >= 400:
            detail = response.json().get("error", response.text) if response.content else ""
            raise CarrierPermanentError(f"Carrier refused: {detail}", extra={"status": response.status_code})
        return response

    def book(self, request: BookingRequest) -> Booking:
        response = self._call(
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
        return Booking(tracking_number=body["tracking_number"], label_pdf=base64.b64decode(body["label_pdf"]))

    def cancel(self, tracking_number: str) -> None:
        self._call("POST", f"shipments/{tracking_number}/cancel/")

    def track(self, tracking_numbers: list[str]) -> dict[str, list[TrackingUpdate]]:
        response = self._call("GET", "tracking/", params={"numbers": ",".join(tracking_numbers)})
        return {
            shipment["tracking_number"]: [
                TrackingUpdate(
                    milestone=self.MILESTONES.get(event["status"], "in_transit"),
                    carrier_status=event["status"],
                    description=event.get("description", ""),
                    location=event.get("location", ""),
                    occurred_at=datetime.fromisoformat(event["occurred_at"]),
                )
                for event in shipment["events"]
            ]
            for shipment in response.json()["shipments"]
        }


GATEWAYS = {"sandbox": SandboxGateway}


def gateway_for(*, gateway_kind: str, endpoint_url: str, api_key: str) -> CarrierGateway:
    return GATEWAYS[gateway_kind](endpoint_url=endpoint_url, api_key=api_key)
