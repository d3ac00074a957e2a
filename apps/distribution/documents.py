"""Shipping documents: a 4x6 inch label per parcel and, across a border, the customs declaration.

The declaration is a CN22 when the declared value is at most CUSTOMS_CN22_MAX_VALUE (the UPU's
300 SDR, taken here in the declared currency) and a CN23 above it. Rendered with reportlab; the
tracking number is a Code 128 barcode. Text is drawn with embedded Noto fonts in any script
(`apps.common.pdf_text`).

`render_shipping_documents` makes one delivery's documents, each on a page of its size (stored
with the delivery when it is booked). `render_sheets` draws many deliveries' documents, and a
4x6 packing slip per order when asked, into one PDF laid out for a label printer (`4x6`) or for A4
with 2 or 4 documents a page (label batches): one document, so each font subset is embedded once.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from django.conf import settings
from reportlab.graphics.barcode import code128
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.units import inch, mm
from reportlab.pdfgen import canvas

from apps.common.pdf_text import draw_text, fitted, new_canvas
from apps.distribution.shipments import Shipment, ShipmentParcel

LABEL_SIZE = (4 * inch, 6 * inch)
# Paper for many documents: (page size, cells as (x, y, width, height)), filled in order.
PAPERS = {
    "4x6": (LABEL_SIZE, [(0.0, 0.0, *LABEL_SIZE)]),
    "a4-2": (A4, [(0.0, A4[1] / 2, A4[0], A4[1] / 2), (0.0, 0.0, A4[0], A4[1] / 2)]),
    "a4-4": (
        A4,
        [
            (0.0, A4[1] / 2, A4[0] / 2, A4[1] / 2),
            (A4[0] / 2, A4[1] / 2, A4[0] / 2, A4[1] / 2),
            (0.0, 0.0, A4[0] / 2, A4[1] / 2),
            (A4[0] / 2, 0.0, A4[0] / 2, A4[1] / 2),
        ],
    ),
}
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
    left, right = 0.2 * inch, width - 0.2 * inch
    route = f"{doc.carrier_code.upper()} / {doc.service_code.upper()}"
    draw_text(pdf, left, height - 0.4 * inch, route, size=13, bold=True)
    draw_text(pdf, right, height - 0.4 * inch, f"Parcel {index} of {len(doc.shipment.parcels)}", size=8, align="right")
    y = height - 0.7 * inch
    draw_text(pdf, left, y, "FROM", size=8)
    for line in _address(doc.shipment.sender):
        y -= 9
        draw_text(pdf, left, y, fitted(line, 8, right - left), size=8)
    y -= 20
    draw_text(pdf, left, y, "TO", size=10, bold=True)
    for line in _address(doc.shipment.recipient):
        y -= 15
        draw_text(pdf, left, y, fitted(line, 12, right - left), size=12, bold=True)
    size = f"{parcel.length_mm}x{parcel.width_mm}x{parcel.height_mm} mm"
    draw_text(pdf, left, 2.45 * inch, f"Weight: {parcel.weight_g / 1000:.3f} kg   Size: {size}", size=8)
    reference = fitted(doc.shipment.reference or "-", 8, 2 * inch)
    draw_text(pdf, left, 2.3 * inch, f"Order: {doc.shipment.order_number}   Ref: {reference}", size=8)
    if doc.customs_form:
        draw_text(pdf, left, 2.15 * inch, f"Customs: {doc.customs_form} attached", size=8)
    barcode = code128.Code128(doc.tracking_number, barHeight=0.9 * inch, barWidth=1.3)
    barcode.drawOn(pdf, (width - barcode.width) / 2, 1.0 * inch)
    draw_text(pdf, width / 2, 0.7 * inch, doc.tracking_number, size=12, bold=True, align="centre")


def _customs(pdf: canvas.Canvas, doc: ShipmentDocument) -> None:
    width, height = A5
    left = 12 * mm
    form = doc.customs_form
    draw_text(pdf, left, height - 15 * mm, f"CUSTOMS DECLARATION {form[:2]} {form[2:]}", size=14, bold=True)
    draw_text(pdf, left, height - 21 * mm, "Category of item: Sale of goods", size=8)
    draw_text(pdf, width - left, height - 15 * mm, f"Tracking {doc.tracking_number}", size=8, align="right")
    y = height - 30 * mm
    if form == "CN23":
        for title, party in (("Sender", doc.shipment.sender), ("Addressee", doc.shipment.recipient)):
            draw_text(pdf, left, y, title, size=8, bold=True)
            for line in _address(party):
                y -= 9
                draw_text(pdf, left, y, fitted(line, 8, width - 2 * left), size=8)
            y -= 14
    columns = [(12, "Description"), (70, "Qty"), (82, "HS tariff no."), (104, "Origin"), (118, "Value")]
    for x, title in columns:
        draw_text(pdf, x * mm, y, title, size=8, bold=True)
    for item in doc.shipment.items:
        y -= 11
        draw_text(pdf, left, y, fitted(item.description, 8, 56 * mm), size=8)
        draw_text(pdf, 70 * mm, y, str(item.quantity), size=8)
        draw_text(pdf, 82 * mm, y, item.hs_code, size=8)
        draw_text(pdf, 104 * mm, y, item.origin_country, size=8)
        draw_text(pdf, 118 * mm, y, f"{item.value:.2f} {item.currency}", size=8)
    y -= 16
    weight = doc.shipment.weight_g / 1000
    draw_text(pdf, left, y, f"Total gross weight: {weight:.3f} kg", size=8, bold=True)
    total = f"Total value: {doc.shipment.declared_value:.2f} {doc.shipment.currency}"
    draw_text(pdf, 82 * mm, y, total, size=8, bold=True)
    y -= 20
    draw_text(pdf, left, y, CERTIFICATION[0], size=7)
    draw_text(pdf, left, y - 9, CERTIFICATION[1], size=7)
    sender = fitted(doc.shipment.sender.get("name", ""), 7, 70 * mm)
    draw_text(pdf, left, y - 24, f"Sender: {sender}        Order {doc.shipment.order_number}", size=7)


def _packing_slip(pdf: canvas.Canvas, shipment: Shipment) -> None:
    """What is in the box and for whom, to put inside it (4x6)."""
    width, height = LABEL_SIZE
    left, right = 0.25 * inch, width - 0.25 * inch
    draw_text(pdf, left, height - 0.45 * inch, "PACKING SLIP", size=13, bold=True)
    draw_text(pdf, right, height - 0.45 * inch, shipment.order_number, size=9, align="right")
    y = height - 0.75 * inch
    if shipment.reference:
        draw_text(pdf, left, y, fitted(f"Reference: {shipment.reference}", 9, right - left), size=9)
        y -= 14
    draw_text(pdf, left, y, "Ship to", size=9, bold=True)
    for line in _address(shipment.recipient):
        y -= 12
        draw_text(pdf, left, y, fitted(line, 10, right - left), size=10)
    y -= 22
    draw_text(pdf, left, y, "Qty", size=9, bold=True)
    draw_text(pdf, left + 0.45 * inch, y, "Item", size=9, bold=True)
    for item in shipment.items:
        y -= 13
        if y < 0.6 * inch:
            draw_text(pdf, left, y, "…", size=9)
            break
        draw_text(pdf, left, y, str(item.quantity), size=9)
        draw_text(pdf, left + 0.45 * inch, y, fitted(item.description, 9, right - left - 0.45 * inch), size=9)
    draw_text(pdf, width / 2, 0.3 * inch, "Thank you for your order.", size=8, align="centre")


Page = tuple[tuple[float, float], Callable[[canvas.Canvas], None]]


def _pages(doc: ShipmentDocument, packing_slip: Shipment | None = None) -> list[Page]:
    """The delivery's documents as (page size, drawing): a label per parcel, the customs form,
    and the packing slip of `packing_slip` when given."""
    pages: list[Page] = [
        (LABEL_SIZE, partial(_label, doc=doc, index=index, parcel=parcel))
        for index, parcel in enumerate(doc.shipment.parcels, start=1)
    ]
    if doc.customs_form:
        pages.append((A5, partial(_customs, doc=doc)))
    if packing_slip is not None:
        pages.append((LABEL_SIZE, partial(_packing_slip, shipment=packing_slip)))
    return pages


def _fit(size: tuple[float, float], cell: tuple[float, float, float, float]) -> tuple[float, ...]:
    """The matrix that places a page of `size` in `cell` (x, y, width, height): as large as fits but
    never enlarged, turned a quarter when that fits it larger, centred."""
    w, h = size
    cx, cy, cw, ch = cell
    upright, turned = min(cw / w, ch / h, 1.0), min(cw / h, ch / w, 1.0)
    if turned > upright + 1e-6:
        s = turned
        return (0, s, -s, 0, cx + (cw - h * s) / 2 + h * s, cy + (ch - w * s) / 2)
    s = upright
    return (s, 0, 0, s, cx + (cw - w * s) / 2, cy + (ch - h * s) / 2)


def render_shipping_documents(doc: ShipmentDocument) -> bytes:
    buffer = io.BytesIO()
    pdf = new_canvas(buffer, pagesize=LABEL_SIZE)
    pdf.setTitle(f"Shipping documents {doc.tracking_number}")
    for size, draw in _pages(doc):
        pdf.setPageSize(size)
        draw(pdf)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def render_sheets(
    deliveries: list[tuple[ShipmentDocument, Shipment | None]], *, paper: str, title: str
) -> tuple[bytes, int]:
    """Many deliveries' documents in one PDF on `paper` (a key of PAPERS), in order: each one's
    labels, customs form, then the packing slip of its Shipment when one is given. Returns the PDF
    and how many documents it holds."""
    page_size, cells = PAPERS[paper]
    buffer = io.BytesIO()
    pdf = new_canvas(buffer, pagesize=page_size)
    pdf.setTitle(title)
    used = count = 0
    for doc, packing_slip in deliveries:
        for size, draw in _pages(doc, packing_slip):
            if used == len(cells):
                pdf.showPage()
                used = 0
            pdf.saveState()
            pdf.transform(*_fit(size, cells[used]))
            draw(pdf)
            pdf.restoreState()
            used += 1
            count += 1
    if used:
        pdf.showPage()
    pdf.save()
    return buffer.getvalue(), count
