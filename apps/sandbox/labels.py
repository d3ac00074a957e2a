"""A 4x6 inch shipping label as a carrier would print it."""

import io

from reportlab.graphics.barcode import code128
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas

LABEL_SIZE = (4 * inch, 6 * inch)


def _address_lines(party: dict) -> list[str]:
    city_line = " ".join(x for x in (party.get("postal_code", ""), party.get("city", "")) if x)
    lines = [
        party.get("name", ""),
        party.get("company", ""),
        party.get("line1", ""),
        party.get("line2", ""),
        city_line,
        party.get("country", ""),
    ]
    return [line for line in lines if line]


def render_label(
    *,
    carrier_code: str,
    service: str,
    tracking_number: str,
    reference: str,
    sender: dict,
    recipient: dict,
    weight_g: int,
) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=LABEL_SIZE)
    width, height = LABEL_SIZE
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(0.2 * inch, height - 0.4 * inch, f"{carrier_code.upper()}  {service.upper()}")
    pdf.setFont("Helvetica", 7)
    y = height - 0.65 * inch
    pdf.drawString(0.2 * inch, y, "FROM:")
    for line in _address_lines(sender):
        y -= 9
        pdf.drawString(0.2 * inch, y, line)
    pdf.setFont("Helvetica-Bold", 11)
    y -= 22
    pdf.drawString(0.2 * inch, y, "TO:")
    for line in _address_lines(recipient):
        y -= 14
        pdf.drawString(0.2 * inch, y, line)
    pdf.setFont("Helvetica", 8)
    pdf.drawString(0.2 * inch, 2.3 * inch, f"Weight: {weight_g / 1000:.3f} kg    Ref: {reference}")
    barcode = code128.Code128(tracking_number, barHeight=0.9 * inch, barWidth=1.2)
    barcode.drawOn(pdf, (width - barcode.width) / 2, 1.0 * inch)
    pdf.setFont("Helvetica-Bold", 12)
    pdf.drawCentredString(width / 2, 0.7 * inch, tracking_number)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
