"""Shipping documents: a 4x6 inch label per parcel and, across a border, the customs declaration.

The declaration is a CN22 when the declared value is at most CUSTOMS_CN22_MAX_VALUE (the UPU's
300 SDR, taken here in the declared currency) and a CN23 above it. Rendered with reportlab; the
tracking number is a Code 128 barcode.
"""

import io
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from reportlab.graphics.barcode import code128
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import inch, mm
from reportlab.pdfgen import canvas

from apps.distribution.shipments import Shipment, ShipmentParcel

LABEL_SIZE = (4 * inch, 6 * inch)
CERTIFICATION = (
    "I certify that the particulars given in this declaration are correct and that this item",
    "does not contain any dangerous article prohibited by legislation or by postal regulations.",
)


@dataclass(frozen=True)
class ShipmentDocument:
    """What the documents show: the shipment, and who carries it under which number."""

    shipment: Shipment
    carrier_code: str
    service_code: str
    tracking_number: str

    @property
    def customs_form(self) -> str:
        if not self.shipment.is_cross_border:
            return ""
        return "CN22" if self.shipment.declared_value <= Decimal(settings.CUSTOMS_CN22_MAX_VALUE) else "CN23"


def _address(party: dict[str, str]) -> list[str]:
    city = " ".join(x for x in (party.get("postal_code", ""), party.get("city", "")) if x)
    lines = [
        party.get("name", ""),
        party.get("company", ""),
        party.get("line1", ""),
        party.get("line2", ""),
        city,
        party.get("state", ""),
        party.get("country", ""),
    ]
    return [line for line in lines if line]


def _label(pdf: canvas.Canvas, doc: ShipmentDocument, index: int, parcel: ShipmentParcel) -> None:
    width, height = LABEL_SIZE
    pdf.setPageSize(LABEL_SIZE)
    pdf.setFont("Helvetica-Bold", 13)
    pdf.drawString(0.2 * inch, height - 0.4 * inch, f"{doc.carrier_code.upper()} / {doc.service_code.upper()}")
    pdf.setFont("Helvetica", 8)
    pdf.drawRightString(width - 0.2 * inch, height - 0.4 * inch, f"Parcel {index} of {len(doc.shipment.parcels)}")
    y = height - 0.7 * inch
    pdf.drawString(0.2 * inch, y, "FROM")
    for line in _address(doc.shipment.sender):
        y -= 9
        pdf.drawString(0.2 * inch, y, line)
    y -= 20
    pdf.setFont("Helvetica-Bold", 10)
    pdf.drawString(0.2 * inch, y, "TO")
    pdf.setFont("Helvetica-Bold", 12)
    for line in _address(doc.shipment.recipient):
        y -= 15
        pdf.drawString(0.2 * inch, y, line)
    pdf.setFont("Helvetica", 8)
    size = f"{parcel.length_mm}x{parcel.width_mm}x{parcel.height_mm} mm"
    pdf.drawString(0.2 * inch, 2.45 * inch, f"Weight: {parcel.weight_g / 1000:.3f} kg   Size: {size}")
    pdf.drawString(0.2 * inch, 2.3 * inch, f"Order: {doc.shipment.order_number}   Ref: {doc.shipment.reference or '-'}")
    if doc.customs_form:
        pdf.drawString(0.2 * inch, 2.15 * inch, f"Customs: {doc.customs_form} attached")
    barcode = code128.Code128(doc.tracking_number, barHeight=0.9 * inch, barWidth=1.3)
    barcode.drawOn(pdf, (width - barcode.width) / 2, 1.0 * inch)
    pdf.setFont("Helvetica-Bold", 12)
    pdf.drawCentredString(width / 2, 0.7 * inch, doc.tracking_number)
    pdf.showPage()


def _customs(pdf: canvas.Canvas, doc: ShipmentDocument) -> None:
    width, height = A5
    pdf.setPageSize(A5)
    form = doc.customs_form
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(12 * mm, height - 15 * mm, f"CUSTOMS DECLARATION {form[:2]} {form[2:]}")
    pdf.setFont("Helvetica", 8)
    pdf.drawString(12 * mm, height - 21 * mm, "Category of item: Sale of goods")
    pdf.drawRightString(width - 12 * mm, height - 15 * mm, f"Tracking {doc.tracking_number}")
    y = height - 30 * mm
    if form == "CN23":
        for title, party in (("Sender", doc.shipment.sender), ("Addressee", doc.shipment.recipient)):
            pdf.setFont("Helvetica-Bold", 8)
            pdf.drawString(12 * mm, y, title)
            pdf.setFont("Helvetica", 8)
            for line in _address(party):
                y -= 9
                pdf.drawString(12 * mm, y, line)
            y -= 14
    pdf.setFont("Helvetica-Bold", 8)
    columns = [(12, "Description"), (70, "Qty"), (82, "HS tariff no."), (104, "Origin"), (118, "Value")]
    for x, title in columns:
        pdf.drawString(x * mm, y, title)
    pdf.setFont("Helvetica", 8)
    for item in doc.shipment.items:
        y -= 11
        pdf.drawString(12 * mm, y, item.description[:34])
        pdf.drawString(70 * mm, y, str(item.quantity))
        pdf.drawString(82 * mm, y, item.hs_code)
        pdf.drawString(104 * mm, y, item.origin_country)
        pdf.drawString(118 * mm, y, f"{item.value:.2f} {item.currency}")
    y -= 16
    weight = doc.shipment.weight_g / 1000
    pdf.setFont("Helvetica-Bold", 8)
    pdf.drawString(12 * mm, y, f"Total gross weight: {weight:.3f} kg")
    pdf.drawString(82 * mm, y, f"Total value: {doc.shipment.declared_value:.2f} {doc.shipment.currency}")
    y -= 20
    pdf.setFont("Helvetica", 7)
    pdf.drawString(12 * mm, y, CERTIFICATION[0])
    pdf.drawString(12 * mm, y - 9, CERTIFICATION[1])
    pdf.drawString(
        12 * mm, y - 24, f"Sender: {doc.shipment.sender.get('name', '')}        Order {doc.shipment.order_number}"
    )
    pdf.showPage()


def render_shipping_documents(doc: ShipmentDocument) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=LABEL_SIZE)
    pdf.setTitle(f"Shipping documents {doc.tracking_number}")
    for index, parcel in enumerate(doc.shipment.parcels, start=1):
        _label(pdf, doc, index, parcel)
    if doc.customs_form:
        _customs(pdf, doc)
    pdf.save()
    return buffer.getvalue()
