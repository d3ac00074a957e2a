"""Text in any script a merchant ships to or from, drawn into our PDFs with embedded fonts.

reportlab's built-in fonts (Helvetica) cover Latin-1 only: a Czech, Polish, Chinese or Russian
name printed as empty boxes. Every PDF we make draws its text through `draw_text` instead, which
splits a string into runs by the first font of `FONT_CHAIN` that has each character and writes
them with TrueType fonts that reportlab subset-embeds (only the glyphs used go into the file):

- Noto Sans (`fontpkg-noto-sans`): Latin with Central European, Cyrillic, Greek;
- Noto Sans SC, TC, JP, KR (`justmytype-intl-cjk`): Chinese (simplified, traditional),
  Japanese and Korean.

Both are PyPI packages pinned in requirements.txt, so `pip install` brings the fonts. They are
variable fonts: reportlab draws their default instance (regular weight); bold is the regular
outline filled and stroked (text render mode 2). Fonts are read once per process, on first use.
"""

import threading
from functools import cache
from importlib.resources import files

from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

_CJK = ("justmytype_intl_cjk", "fonts/ofl")
FONT_FILES = {
    "NotoSans": ("fontpkg_noto_sans", "files/NotoSans[wdth,wght].ttf"),
    "NotoSansSC": (_CJK[0], f"{_CJK[1]}/notosanssc/NotoSansSC[wght].ttf"),
    "NotoSansTC": (_CJK[0], f"{_CJK[1]}/notosanstc/NotoSansTC[wght].ttf"),
    "NotoSansJP": (_CJK[0], f"{_CJK[1]}/notosansjp/NotoSansJP[wght].ttf"),
    "NotoSansKR": (_CJK[0], f"{_CJK[1]}/notosanskr/NotoSansKR[wght].ttf"),
}
FONT_CHAIN = tuple(FONT_FILES)
BOLD_STROKE = 0.035  # of the font size: the stroke that makes the regular outline read as bold
# The CJK fonts' default instance (all reportlab can draw of a variable font) is their thinnest
# (wght 100): a stroke of this much of the font size brings it to about the regular weight.
# Cutting static instances with fontTools takes minutes per font, too long for a first use.
THIN_STROKE = {"NotoSansSC": 0.035, "NotoSansTC": 0.035, "NotoSansJP": 0.035, "NotoSansKR": 0.035}
_lock = threading.Lock()
# Streams stay binary (deflated, not also ASCII85-armoured): a quarter smaller, and read back
# four times faster when a batch merges hundreds of documents (apps.batches.printing).
rl_config.useA85 = 0


@cache
def _fonts() -> dict[str, frozenset[int]]:
    """Register every font with reportlab (once) and return the code points each one has."""
    with _lock:
        covered = {}
        for name, (package, path) in FONT_FILES.items():
            font = TTFont(name, str(files(package) / path))
            pdfmetrics.registerFont(font)
            covered[name] = frozenset(font.face.charToGlyph)
        return covered


def new_canvas(buffer, *, pagesize: tuple[float, float]) -> Canvas:
    """A canvas whose initial font is ours: reportlab otherwise declares Helvetica in every page's
    resources, a font that is not embedded, even when no text uses it."""
    _fonts()
    return Canvas(buffer, pagesize=pagesize, initialFontName=FONT_CHAIN[0], initialFontSize=8)


def font_for(char: str) -> str:
    covered = _fonts()
    code = ord(char)
    return next((name for name in FONT_CHAIN if code in covered[name]), FONT_CHAIN[0])


def runs(text: str) -> list[tuple[str, str]]:
    """`text` as (font name, piece) runs; spaces and punctuation every font has stay in the run
    they are in, so a name is not cut into more runs than its scripts need."""
    covered = _fonts()
    pieces: list[tuple[str, str]] = []
    for char in text:
        current = pieces[-1][0] if pieces else None
        if current and ord(char) in covered[current]:
            pieces[-1] = (current, pieces[-1][1] + char)
        else:
            pieces.append((font_for(char), char))
    return pieces


def text_width(text: str, size: float) -> float:
    return sum(pdfmetrics.stringWidth(piece, font, size) for font, piece in runs(text))


def draw_text(
    pdf: Canvas, x: float, y: float, text: str, *, size: float, bold: bool = False, align: str = "left"
) -> None:
    """Draw one line of `text` at (x, y): left-aligned, or `align` "right" or "centre" on x."""
    if not text:
        return
    if align == "right":
        x -= text_width(text, size)
    elif align == "centre":
        x -= text_width(text, size) / 2
    line = pdf.beginText(x, y)
    stroke = None
    for font, piece in runs(text):
        wanted = THIN_STROKE.get(font, 0) + (BOLD_STROKE if bold else 0)
        if wanted != stroke:
            # Fill and stroke (2 Tr) thickens the outline by the line width; fill alone (0 Tr) draws
            # it as it is. Written as operators: they outlive the text object, so the line is drawn
            # inside its own graphics state (q ... Q) and leaves nothing behind.
            line._code.append(f"2 Tr {size * wanted:.3f} w" if wanted else "0 Tr")
            stroke = wanted
        line.setFont(font, size)
        line.textOut(piece)
    pdf.saveState()
    pdf.drawText(line)
    pdf.restoreState()


def fitted(text: str, size: float, width: float) -> str:
    """`text` cut (with an ellipsis) to fit `width` points at `size`."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"
