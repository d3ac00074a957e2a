"""Reading a spreadsheet a merchant uploads: CSV (any delimiter, in the encodings spreadsheet
programs write, Chinese ones included) or XLSX, into a heading row and rows of text.

No ORM here: `read_table` takes bytes and gives back a `Table` or raises `UnreadableFile` with a
message for the merchant. Workbooks are read by `workbook.read_rows`."""

import codecs
import csv
import io
from dataclasses import dataclass

from charset_normalizer import from_bytes
from django.utils.translation import gettext as _

from apps.imports.exceptions import UnreadableFile
from apps.imports.workbook import read_rows

# One upload: at most this many bytes and data rows (the form and the service say so in words).
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 10_000
MAX_COLUMNS = 200
MAX_CELL = 1_000  # characters; longer cells are cut here and refused by the field's own limit

# Simplified Chinese software writes GBK or GB2312 (Excel on a Chinese Windows, WPS);
# GB18030 decodes both and more.
CHINESE = {"gb2312", "gbk", "gb18030", "hz", "cp936"}


@dataclass(frozen=True)
class Table:
    kind: str  # "csv" or "xlsx"
    encoding: str  # how a CSV was decoded; "" for XLSX
    headings: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]  # (row number as the spreadsheet shows it, cells)

    def as_json(self) -> dict:
        return {"headings": list(self.headings), "rows": [[number, list(cells)] for number, cells in self.rows]}

    @classmethod
    def from_json(cls, data: dict, *, kind: str = "", encoding: str = "") -> "Table":
        return cls(
            kind=kind,
            encoding=encoding,
            headings=tuple(data["headings"]),
            rows=tuple((number, tuple(cells)) for number, cells in data["rows"]),
        )


def read_table(data: bytes, *, file_name: str = "") -> Table:
    if len(data) > MAX_BYTES:
        raise UnreadableFile(
            _("The file is %(size)s MB; upload at most %(limit)s MB (split it into several files).")
            % {"size": round(len(data) / 1024 / 1024, 1), "limit": MAX_BYTES // 1024 // 1024}
        )
    if not data.strip():
        raise UnreadableFile(_("The file is empty."))
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    if file_name.lower().endswith((".xls", ".xlsx", ".xlsm", ".numbers", ".ods")) or data.startswith(
        b"\xd0\xcf\x11\xe0"
    ):
        raise UnreadableFile(_("This is not a file we can read: save it as CSV or as an Excel workbook (.xlsx)."))
    return _read_csv(data)


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was read in: a byte-order mark first (UTF-8 with BOM, UTF-16
    from Excel's "Unicode text"), then UTF-8, then what charset-normalizer finds most likely,
    with the Chinese national encodings read as GB18030 (their superset)."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise UnreadableFile(
                    _("The file says it is %(encoding)s but is not.") % {"encoding": encoding}
                ) from exc
    if b"\x00" in data[:4000] and data[:4000].count(b"\x00") > len(data[:4000]) // 4:
        encoding = "utf-16-le" if data[1:2] == b"\x00" else "utf-16-be"
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(data[:200_000]).best()
    encoding = (best.encoding if best else "gb18030").lower().replace("-", "").replace("_", "")
    encoding = "gb18030" if encoding in CHINESE else (best.encoding if best else "gb18030")
    try:
        return data.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError) as exc:
        raise UnreadableFile(_("We could not tell the file's text encoding: save it as CSV UTF-8.")) from exc


def _read_csv(data: bytes) -> Table:
    text, encoding = decode(data)
    if "\x00" in text:
        raise UnreadableFile(_("The file holds binary data: save it as CSV or as an Excel workbook (.xlsx)."))
    first, _newline, rest = text.partition("\n")
    if first.strip().lower().startswith("sep=") and len(first.strip()) == 5:  # Excel's hint line
        delimiter, text = first.strip()[4], rest
    else:
        try:
            delimiter = csv.Sniffer().sniff(first or text[:20_000], delimiters=",\t;|").delimiter
        except csv.Error:
            delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _table("csv", encoding, reader)
    except csv.Error as exc:
        raise UnreadableFile(_("The CSV file is malformed: %(error)s") % {"error": exc}) from exc


def _read_xlsx(data: bytes) -> Table:
    return _table("xlsx", "", read_rows(data))


def _table(kind: str, encoding: str, rows) -> Table:
    headings: tuple[str, ...] | None = None
    body = []
    for number, cells in enumerate(rows, start=1):
        cells = [("" if c is None else str(c))[:MAX_CELL].strip() for c in cells[:MAX_COLUMNS]]
        if not any(cells):
            continue
        if headings is None:
            headings = tuple(cells)
            continue
        if len(body) >= MAX_ROWS:
            raise UnreadableFile(
                _("The file has more than %(limit)s rows; split it into several files.") % {"limit": f"{MAX_ROWS:,}"}
            )
        cells += [""] * (len(headings) - len(cells))
        body.append((number, tuple(cells)))
    if headings is None:
        raise UnreadableFile(_("The file has no heading row."))
    if not body:
        raise UnreadableFile(_("The file has a heading row but no orders under it."))
    return Table(kind=kind, encoding=encoding, headings=headings, rows=tuple(body))
