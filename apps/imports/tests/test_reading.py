"""Workbooks as merchants' spreadsheet programs write them, read into the rows the checks judge."""

import io
import zipfile
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from apps.imports.exceptions import UnreadableFile
from apps.imports.reading import read_table
from apps.imports.selectors import import_row_errors
from apps.imports.services import import_check, import_upload
from apps.imports.tests.conftest import SENDER
from apps.imports.workbook import _column_name, read_rows

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def workbook(*rows, at: str = "A1") -> bytes:
    book = Workbook()
    sheet = book.active
    first = sheet[at]
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            if value is not None:
                sheet.cell(row=first.row + r, column=first.column + c, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def package(sheet_data: str, *, prefix: str = "") -> bytes:
    """A workbook as a less usual writer makes it: the sheet's XML as given."""
    p = f"{prefix}:" if prefix else ""
    ns = f"xmlns{':' + prefix if prefix else ''}"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{OFFICE}/officeDocument" '
            'Target="/xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{OFFICE}"><sheets><sheet name="Orders" sheetId="1" r:id="rId7"/>'
            "</sheets></workbook>",
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{RELS}"><Relationship Id="rId7" Type="{OFFICE}/worksheet" '
            'Target="worksheets/orders.xml"/></Relationships>',
        )
        z.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/orders.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        )
        z.writestr(
            "xl/worksheets/orders.xml",
            f'<{p}worksheet {ns}="{MAIN}"><{p}sheetData>{sheet_data}</{p}sheetData></{p}worksheet>',
        )
    return out.getvalue()


def test_cells_read_as_the_spreadsheet_shows_them_with_their_row_numbers():
    data = workbook(
        ["Order", "Zip", "Phone", "Qty", "Value", "Paid", "Date", "Time", "Took", "Gift"],
        ["X-1", 10115, 8613812345678, 2, 9.5, datetime(2026, 12, 3, 10, 30), date(2026, 12, 3), time(10, 30)],
        [],
        ["X-2", "02134", "+1 617 555 0100", 1.0, 12, None, None, None, timedelta(hours=26), True],
        at="B3",
    )

    table = read_table(data, file_name="orders.xlsx")

    assert table.kind == "xlsx"
    assert table.headings == ("", "Order", "Zip", "Phone", "Qty", "Value", "Paid", "Date", "Time", "Took", "Gift")
    assert table.rows == (
        (
            4,
            (
                "",
                "X-1",
                "10115",
                "8613812345678",
                "2",
                "9.5",
                "2026-12-03T10:30:00",
                "2026-12-03T00:00:00",
                "10:30:00",
                "",
                "",
            ),
        ),
        (6, ("", "X-2", "02134", "+1 617 555 0100", "1", "12", "", "", "", "1 day, 2:00:00", "TRUE")),
    )


def test_a_formula_error_is_read_as_its_text_not_as_an_empty_cell():
    data = workbook(["Order", "Weight", "Value"], ["X-1", "#N/A", 5], ["X-2", 0.5, "#DIV/0!"])

    rows = read_table(data, file_name="orders.xlsx").rows

    assert rows == ((2, ("X-1", "#N/A", "5")), (3, ("X-2", "0.5", "#DIV/0!")))


def test_the_first_worksheet_is_read_past_a_chart_sheet():
    book = Workbook()
    book.active.append(["Order", "Name"])
    book.active.append(["X-1", "Anna"])
    book.create_chartsheet(index=0)
    out = io.BytesIO()
    book.save(out)

    assert read_table(out.getvalue(), file_name="orders.xlsx").rows == ((2, ("X-1", "Anna")),)


@pytest.mark.parametrize("prefix", ["", "x"])
def test_sheets_without_cell_references_or_with_prefixed_tags_are_placed_as_written(prefix):
    p = f"{prefix}:" if prefix else ""
    cells = (
        f'<{p}row><{p}c t="inlineStr"><{p}is><{p}t>Order</{p}t></{p}is></{p}c>'
        f'<{p}c t="inlineStr"><{p}is><{p}t>Weight</{p}t></{p}is></{p}c></{p}row>'
        f'<{p}row r="3"><{p}c t="inlineStr"><{p}is><{p}t>X-1</{p}t></{p}is></{p}c>'
        f'<{p}c t="e"><{p}v>#N/A</{p}v></{p}c></{p}row>'
        f'<{p}row><{p}c r="A4" t="inlineStr"><{p}is><{p}t>X-2</{p}t></{p}is></{p}c><{p}c><{p}v>2</{p}v></{p}c></{p}row>'
    )

    table = read_table(package(cells, prefix=prefix), file_name="orders.xlsx")

    assert table.headings == ("Order", "Weight")
    assert table.rows == ((3, ("X-1", "#N/A")), (4, ("X-2", "2")))


@pytest.mark.parametrize("far", ["XFD1048576", "Z1048576", "ZZZ9000"])
def test_a_cell_far_from_the_others_is_refused_before_the_sheet_is_held_in_memory(far):
    # calamine would hold every cell from A1 to here: 550 GB for XFD1048576, and abort.
    data = package(f'<row r="1"><c r="A1" t="inlineStr"><is><t>Order</t></is></c><c r="{far}"><v>1</v></c></row>')

    with pytest.raises(UnreadableFile, match="delete the rows and columns past your orders"):
        read_table(data, file_name="orders.xlsx")


def test_a_short_sheet_with_a_note_far_to_the_right_is_read():
    book = Workbook()
    book.active.append(["Order", "Name"])
    book.active.append(["X-1", "Anna"])
    book.active["IW2"] = "checked"  # column 257, in a sheet of 2 rows
    out = io.BytesIO()
    book.save(out)

    rows = read_table(out.getvalue(), file_name="orders.xlsx").rows

    assert rows[0][1][:2] == ("X-1", "Anna") and len(rows[0][1]) == 200  # cut at MAX_COLUMNS


def test_a_workbook_declaring_entities_is_refused_unexpanded():
    laughs = '<!DOCTYPE workbook [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    source = zipfile.ZipFile(io.BytesIO(package('<row r="1"><c r="A1"><v>1</v></c></row>')))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name in source.namelist():
            part = source.read(name)
            z.writestr(name, laughs.encode() + part if name == "xl/workbook.xml" else part)

    with pytest.raises(UnreadableFile, match="cannot be opened"):
        read_table(out.getvalue(), file_name="orders.xlsx")


def test_a_duration_beyond_what_can_be_read_names_its_row():
    book = Workbook()
    book.active.append(["Order", "Took"])
    book.active.append(["X-1", 1])
    book.active.append(["X-2", 123456789012])
    book.active["B3"].number_format = "[h]:mm:ss"
    out = io.BytesIO()
    book.save(out)

    with pytest.raises(UnreadableFile, match="Row 3 has a cell we cannot read"):
        read_table(out.getvalue(), file_name="orders.xlsx")


HEADINGS = ["Order #", "Ship To - Name", "Ship To - Address 1", "Ship To - City", "Ship To - Postal Code"]
HEADINGS += ["Ship To - Country", "Ship To - Phone", "Item Name", "Item Unit Price", "Item SKU"]


def test_numbers_a_spreadsheet_damaged_are_flagged_in_a_workbook_too(merchant, routes):
    base = ["Anna", "Hauptstr. 5", "Berlin", 10115, "DE", "+4930123456", "Mug", 9.5, "SKU-1"]
    data = workbook(
        HEADINGS,
        ["X-1", *base],
        ["X-2", *base[:5], "1.23457E+11", *base[6:]],  # a CSV opened in Excel, saved as a workbook
        ["X-3", *base[:5], 4930123456.0, *base[6:]],  # a phone typed as a number: its digits
        ["X-4", *base[:8], 12345678901234567890],  # a long number in a numeric cell
        ["X-5", "Bob", "1 Main St", "Boston", 2134, "US", "+16175550100", "Mug", 9.5, "SKU-1"],
        ["X-6", *base[:5], "4930123456.0", *base[6:]],
    )
    job = import_upload(merchant_id=merchant.pk, actor="user:1", file_name="orders.xlsx", data=data)

    job = import_check(merchant_id=merchant.pk, job_id=job.pk, mapping=job.mapping, defaults=SENDER)

    found = [(e.row, e.field, e.message) for e in import_row_errors(job_id=job.pk)]
    assert [(r, f) for r, f, _ in found if f] == [
        (3, "recipient_phone"),
        (5, "item_sku"),
        (6, "recipient_postal_code"),
        (7, "recipient_phone"),
    ], found
    assert "scientific notation" in found[0][2] and "scientific notation" in found[1][2]
    assert "02134" in found[2][2]
    assert job.orders_valid == 2  # whose phone kept its digits


def _as_openpyxl_read(data: bytes) -> list[list[str]]:
    """The sheet as the reader before calamine gave it (openpyxl, read-only, cached values)."""
    from openpyxl import load_workbook

    def text(value) -> str:
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return str(value)

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    return [[text(v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)]


def _trimmed(rows) -> list[list[str]]:
    out = [[cell.strip() for cell in row] for row in rows]
    for row in out:
        while row and not row[-1]:
            row.pop()
    while out and not out[-1]:
        out.pop()
    return out


CELL_XML = {  # the cell's type attribute and content
    "number": ("", "<v>2.5</v>"),
    "whole": (' t="n"', "<v>123456789012</v>"),
    "error": (' t="e"', "<v>#N/A</v>"),
    "text": (' t="inlineStr"', "<is><t>x</t></is>"),
}


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.booleans(),  # the row says its number (else it is the next one)
            st.lists(st.tuples(st.booleans(), st.integers(1, 30), st.sampled_from(list(CELL_XML))), max_size=5),
        ),
        min_size=1,
        max_size=8,
    ),
    prefix=st.sampled_from(["", "x"]),
)
def test_a_sheet_however_its_writer_lays_it_out_reads_as_openpyxl_read_it(rows, prefix):
    p = f"{prefix}:" if prefix else ""
    xml, number = [], 0
    for numbered, cells in rows:
        number += 2 if numbered else 1  # a numbered row leaves a blank one before it
        parts, column = [], 0
        for referenced, wanted, kind in cells:
            column = wanted if referenced and wanted > column else column + 1
            ref = f' r="{_column_name(column)}{number}"' if referenced and wanted == column else ""
            kind_attr, content = CELL_XML[kind]
            content = content.replace("</", f"</{p}").replace("<", f"<{p}").replace(f"<{p}/", "</")
            parts.append(f"<{p}c{ref}{kind_attr}>{content}</{p}c>")
        start = f'<{p}row r="{number}">' if numbered else f"<{p}row>"
        xml.append(f"{start}{''.join(parts)}</{p}row>")
    data = package("".join(xml), prefix=prefix)

    assert _trimmed(read_rows(data)) == _trimmed(_as_openpyxl_read(data))
