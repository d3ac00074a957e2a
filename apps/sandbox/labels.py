"""A 4x6 inch shipping label as a carrier would print it.

Names and addresses in any script: the same embedded Noto fonts as the platform's documents
(`apps.common.pdf_text`, which the sandbox may not import: it plays the outside world), chosen
per character here in a few lines.
"""

import io
from functools import cache
from importlib.resources import files

from reportlab.graphics.barcode import code128
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

LABEL_SIZE = (4 * inch, 6 * inch)
_FONTS = {
    "SandboxNotoSans": ("fontpkg_noto_sans", "files/NotoSans[wdth,wght].ttf"),
    "SandboxNotoSansSC": ("justmytype_intl_cjk", "fonts/ofl/notosanssc/NotoSansSC[wght].ttf"),
    "SandboxNotoSansJP": ("justmytype_intl_cjk", "fonts/ofl/notosansjp/NotoSansJP[wght].ttf"),
    "SandboxNotoSansKR": ("justmytype_intl_cjk", "fonts/ofl/notosanskr/NotoSansKR[wght].ttf"),
}


@cache
def _covered() -> dict[str, frozenset[int]]:
    covered = {}
    for name, (package, path) in _FONTS.items():
        font = TTFont(name, str(files(package) / path))
        pdfmetrics.registerFont(font)
        covered[name] = frozenset(font.face.charToGlyph)
    return covered


def _text(pdf: canvas.Canvas, x: float, y: float, text: str, size: float, *, centred: bool = False) -> None:
    covered = _covered()
    pieces: list[list[str]] = []
    for char in text:
        if pieces and ord(char) in covered[pieces[-1][0]]:
            pieces[-1][1] += char
        else:
            pieces.append([next((f for f in _FONTS if ord(char) in covered[f]), "SandboxNotoSans"), char])
    if centred:
        x -= sum(pdfmetrics.stringWidth(piece, font, size) for font, piece in pieces) / 2
    line = pdf.beginText(x, y)
    for font, piece in pieces:
        line.setFont(font, size)
        line.textOut(piece)
    pdf.drawText(line)


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
    _covered()  # registered before the canvas starts in our font, not in Helvetica (not embedded)
    pdf = canvas.Canvas(buffer, pagesize=LABEL_SIZE, initialFontName="SandboxNotoSans", initialFontSize=8)
    width, height = LABEL_SIZE
    _text(pdf, 0.2 * inch, height - 0.4 * inch, f"{carrier_code.upper()}  {service.upper()}", 14)
    y = height - 0.65 * inch
    _text(pdf, 0.2 * inch, y, "FROM:", 7)
    for line in _address_lines(sender):
        y -= 9
        _text(pdf, 0.2 * inch, y, line, 7)
    y -= 22
    _text(pdf, 0.2 * inch, y, "TO:", 11)
    for line in _address_lines(recipient):
        y -= 14
        _text(pdf, 0.2 * inch, y, line, 11)
    _text(pdf, 0.2 * inch, 2.3 * inch, f"Weight: {weight_g / 1000:.3f} kg    Ref: {reference}", 8)
    barcode = code128.Code128(tracking_number, barHeight=0.9 * inch, barWidth=1.2)
    barcode.drawOn(pdf, (width - barcode.width) / 2, 1.0 * inch)
    _text(pdf, width / 2, 0.7 * inch, tracking_number, 12, centred=True)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
