"""The first worksheet of an XLSX workbook as rows of text, read by calamine (python-calamine, a
Rust reader: about 70 ms of CPU for 5,000 rows of 12 columns, where openpyxl took 1.7 s).

Two things calamine does that we must not let through, both found by `_scan`, a pass over the
sheet's XML before calamine sees it:
- it holds a sheet's area densely, from A1 to the farthest cell with a value, at 32 bytes a
  cell: a 2 KB workbook with values in A1 and XFD1048576 asks for 550 GB and aborts the process
  (calamine issue 693). The scan finds how far the cells reach and refuses an area over
  `MAX_CELLS`;
- it reads a formula's error (`#N/A`, `#DIV/0!`) as an empty cell, so a failed VLOOKUP in the
  weight column would import the default weight. The scan finds the error cells and their
  texts, which go back into the rows (what openpyxl gave and the row checks judge).

The cell values become text as openpyxl's did (`_text`); docs/imports.md says where they differ."""

import io
import posixpath
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, time
from xml.etree import ElementTree

from django.utils.translation import gettext as _

from apps.imports.exceptions import UnreadableFile

MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # what a workbook's parts may unpack to
# The sheet's area (rows to its last value times columns to its last value) calamine may hold:
# 80 MB at most, room for our limits (10,000 rows of 200 columns) and some blank rows.
MAX_CELLS = 2_500_000

# The usual writers (Excel, LibreOffice, openpyxl, XlsxWriter, WPS) put `r="A1"` first in every
# cell, unprefixed: then a few searches at C speed give the sheet's reach. Anything else (cells
# without a reference, namespace prefixes, other quoting) takes `_walk`, exact and slower.
FAR_ROW = re.compile(rb'<c r="[A-Za-z]*([0-9]{5,})')  # rows past 9,999
WIDE = re.compile(rb'<c r="([A-Za-z]{2,})[0-9]')  # columns past Z
ERROR_CELL = re.compile(rb'<c r="([A-Za-z]+)([0-9]+)"[^>]*?\bt="e"[^>]*>')
TAG = re.compile(rb"<(?:[\w.-]+:)?(row|c)(?=[\s/>])([^>]*)>")
REF = re.compile(rb"""\br\s*=\s*["']([A-Za-z]*)([0-9]*)["']""")
IS_ERROR = re.compile(rb"""\bt\s*=\s*["']e["']""")
VALUE = re.compile(rb"<(?:[\w.-]+:)?v>([^<]*)<|</(?:[\w.-]+:)?c>")


def read_rows(data: bytes) -> Iterator[list[str]]:
    """The first worksheet's rows from row 1 and column A, blank ones included (so a row's place
    is its number in the spreadsheet), each cell as text."""
    from python_calamine import CalamineError, CalamineWorkbook  # CSV is the common case

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UnreadableFile(_("The workbook cannot be opened: save it again as .xlsx or as CSV.")) from exc
    if unpacked > MAX_UNPACKED_BYTES:  # a zip bomb, or a workbook far beyond our row limit
        raise UnreadableFile(_("The workbook is too large once unpacked; split it into several files."))
    try:
        name, part = _first_worksheet(archive)
        rows, columns, errors = _scan(archive.read(part))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, ElementTree.ParseError) as exc:
        raise UnreadableFile(_("The workbook cannot be opened: save it again as .xlsx or as CSV.")) from exc
    if rows * columns > MAX_CELLS:
        raise UnreadableFile(
            _(
                "The first sheet has cells as far as row %(row)s and column %(column)s, more than we can "
                "read at once: delete the rows and columns past your orders, or save the sheet as CSV."
            )
            % {"row": f"{rows:,}", "column": _column_name(columns)}
        )
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_name(name)
    except (CalamineError, ValueError, TypeError, OSError) as exc:
        raise UnreadableFile(_("The workbook cannot be opened: save it again as .xlsx or as CSV.")) from exc
    # iter_rows gives every row from row 1 but each from the area's first column only.
    try:
        yield from _rows(sheet, errors)
    finally:
        book.close()


def _rows(sheet, errors: dict[int, dict[int, str]]) -> Iterator[list[str]]:
    from python_calamine import CalamineError

    # iter_rows gives every row from row 1, but each from the area's first column only.
    blank = [""] * (sheet.start[1] if sheet.start else 0)
    values = sheet.iter_rows()
    number = 0
    while True:
        number += 1
        try:
            row = next(values)
        except StopIteration:
            return
        except (CalamineError, OverflowError, ValueError, TypeError) as exc:
            # A number in a cell formatted as a duration, beyond what Python's timedelta holds.
            raise UnreadableFile(
                _("Row %(row)s has a cell we cannot read (Excel shows ####): correct it, or save the sheet as CSV.")
                % {"row": number}
            ) from exc
        cells = [*blank, *map(_text, row)]
        for column, text in errors.get(number, {}).items():
            cells += [""] * (column - len(cells))
            cells[column - 1] = text
        yield cells


def _text(value) -> str:
    """A cell's value as text, as openpyxl gave it: numbers are floating point in calamine, so a
    whole number below 10^16 is its digits (every number Excel can hold exactly: it keeps 15
    significant digits) and anything larger is Python's notation (`1.2345678901234567e+19`),
    which the row checks flag as scientific notation where a number should be text. A date
    without a time is a date-time at midnight, as openpyxl read date cells."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))  # a number typed into a numeric cell: 2134.0 is "2134"
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time()).isoformat()
    if isinstance(value, (datetime, time)):
        return value.isoformat()
    return str(value)  # other numbers; durations as 1 day, 2:00:00


def _first_worksheet(archive: zipfile.ZipFile) -> tuple[str, str]:
    """The name and part of the workbook's first worksheet (chart sheets skipped, hidden sheets
    not), as openpyxl's `worksheets[0]` was."""
    workbook = _target(archive, "", "_rels/.rels", "/officeDocument") or "xl/workbook.xml"
    base = posixpath.dirname(workbook)
    rels = posixpath.join(base, "_rels", posixpath.basename(workbook) + ".rels")
    targets = _relationships(archive, base, rels)
    for sheet in _xml(archive, workbook).iter():
        if sheet.tag.rpartition("}")[2] != "sheet":
            continue
        rel_id = next((v for k, v in sheet.attrib.items() if k.rpartition("}")[2] == "id" and "}" in k), "")
        kind, part = targets.get(rel_id, ("", ""))
        if kind.endswith("/worksheet"):
            return sheet.attrib.get("name", ""), _member(archive, part)
    raise KeyError("no worksheet")


def _relationships(archive: zipfile.ZipFile, base: str, path: str) -> dict[str, tuple[str, str]]:
    found = {}
    for rel in _xml(archive, path).iter():
        if rel.tag.rpartition("}")[2] == "Relationship" and rel.attrib.get("TargetMode") != "External":
            target = rel.attrib.get("Target", "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
            found[rel.attrib.get("Id", "")] = (rel.attrib.get("Type", ""), part)
    return found


def _xml(archive: zipfile.ZipFile, part: str) -> ElementTree.Element:
    text = archive.read(_member(archive, part))
    if b"<!DOCTYPE" in text or b"<!ENTITY" in text:  # a package part has none: entity expansion
        raise ValueError(f"{part} declares a DTD")
    return ElementTree.fromstring(text)  # noqa: S314 - no DTD, so no entities to expand or fetch


def _target(archive: zipfile.ZipFile, base: str, path: str, kind: str) -> str:
    try:
        return next((part for k, part in _relationships(archive, base, path).values() if k.endswith(kind)), "")
    except KeyError:
        return ""


def _member(archive: zipfile.ZipFile, part: str) -> str:
    """The zip member of a part: names are case-insensitive in a package."""
    names = archive.namelist()
    if part in names:
        return part
    for name in names:
        if name.lower() == part.lower():
            return name
    raise KeyError(part)


def _scan(xml: bytes) -> tuple[int, int, dict[int, dict[int, str]]]:
    """How many rows and columns the sheet's cells reach (at most; empty cells count too) and its
    error cells' texts by row and column, both numbered from 1."""
    plain = (
        xml.count(b"<c ") == xml.count(b'<c r="')
        and b"<c>" not in xml
        and b"<c/>" not in xml
        and not re.search(rb"<[\w.-]+:c[\s/>]", xml)
    )
    if not plain:
        return _walk(xml)
    rows = max(map(int, FAR_ROW.findall(xml)), default=9_999)
    columns = max(map(_column_number, set(WIDE.findall(xml))), default=26)
    if rows * columns > MAX_CELLS:  # maybe only because 9,999 rows was assumed: count exactly
        return _walk(xml)
    errors: dict[int, dict[int, str]] = defaultdict(dict)
    if b't="e"' in xml:
        for cell in ERROR_CELL.finditer(xml):
            value = VALUE.search(xml, cell.end())
            if value and value[1] is not None:
                errors[int(cell[2])][_column_number(cell[1])] = value[1].decode("utf-8", "replace")
    return rows, columns, errors


def _walk(xml: bytes) -> tuple[int, int, dict[int, dict[int, str]]]:
    """`_scan` for any well-formed sheet: each row and cell in turn, placed as calamine places
    them (a missing reference is the next row, or the next cell of the row)."""
    row = column = rows = columns = 0
    errors: dict[int, dict[int, str]] = defaultdict(dict)
    for tag in TAG.finditer(xml):
        ref = REF.search(tag[2])
        if tag[1] == b"row":
            row, column = (int(ref[2]) if ref and ref[2] else row + 1), 0
            continue
        column = _column_number(ref[1]) if ref and ref[1] else column + 1
        row = int(ref[2]) if ref and ref[2] else row
        if tag[2].endswith(b"/"):
            continue
        rows, columns = max(rows, row), max(columns, column)
        if IS_ERROR.search(tag[2]):
            value = VALUE.search(xml, tag.end())
            if value and value[1] is not None:
                errors[row][column] = value[1].decode("utf-8", "replace")
    return rows, columns, errors


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


def _column_name(number: int) -> str:
    name = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        name = chr(65 + rest) + name
    return name
