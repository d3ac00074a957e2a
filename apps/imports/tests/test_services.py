from decimal import Decimal

import pytest

from apps.imports.exceptions import ImportNotAllowed, UnreadableFile
from apps.imports.models import ImportState
from apps.imports.rows import _money
from apps.imports.selectors import Progress, import_error_file, import_progress, import_row_errors
from apps.imports.services import import_check, import_run, import_start, import_tables_purge, import_upload
from apps.imports.tests.conftest import SENDER, csv_file, row
from apps.orders.models import Order
from apps.orders.tests.factories import order_draft
from apps.shipping.services import order_submit


def upload(merchant, data: bytes, name: str = "orders.csv"):
    return import_upload(merchant_id=merchant.pk, actor="user:1", file_name=name, data=data)


def check(merchant, job, **defaults):
    return import_check(merchant_id=merchant.pk, job_id=job.pk, mapping=job.mapping, defaults={**SENDER, **defaults})


def errors(job) -> list[tuple[int, str, str]]:
    return [(e.row, e.field, e.message) for e in import_row_errors(job_id=job.pk)]


def test_shipstation_headings_map_themselves_and_rows_of_one_reference_make_one_order(merchant, routes):
    job = upload(merchant, csv_file(row("A-1"), row("A-1", item="Socks", quantity="3", price="4"), row("A-2")))

    assert job.mapping["reference"] == "Order #" and job.mapping["recipient_postal_code"] == "Ship To - Postal Code"
    job = check(merchant, job)
    assert (job.orders_total, job.orders_valid, job.orders_invalid) == (2, 2, 0), errors(job)

    import_start(merchant_id=merchant.pk, job_id=job.pk, only_valid=False)
    job = import_run(job_id=job.pk)

    assert (job.state, job.orders_created) == (ImportState.DONE, 2)
    order = Order.objects.get(merchant=merchant, reference="A-1")
    assert order.channel == "import"
    parcel = order.parcels.get()
    assert parcel.weight_g == 454  # 16 oz
    assert sorted((i.description, i.quantity, i.unit_value) for i in parcel.items.all()) == [
        ("Socks", 3, Decimal("4.00")),
        ("T-shirt", 2, Decimal("12.50")),
    ]


def test_damaged_numbers_and_postcodes_are_flagged_and_all_or_nothing_refuses(merchant, routes):
    job = upload(
        merchant,
        csv_file(
            row("A-1"),
            row("A-2", phone="1.23457E+11"),
            row("A-3", postcode="2134", country="US", city="Boston"),
            row("A-4", postcode="ABC"),
        ),
    )
    job = check(merchant, job)

    found = errors(job)
    assert [(r, f) for r, f, _ in found] == [
        (3, "recipient_phone"),
        (4, "recipient_postal_code"),
        (5, "recipient_postal_code"),
    ]
    assert "scientific notation" in found[0][2]
    assert "02134" in found[1][2]
    assert (job.orders_valid, job.orders_invalid) == (1, 3)
    with pytest.raises(ImportNotAllowed):
        import_start(merchant_id=merchant.pk, job_id=job.pk, only_valid=False)
    assert not Order.objects.filter(merchant=merchant).exists()


def test_importing_the_valid_rows_makes_exactly_those_gives_an_error_file_and_the_same_file_again_makes_nothing(
    merchant, routes
):
    data = csv_file(row("A-1"), row("A-2", quantity="lots"), row("A-2"), row("A-3", postcode="02134", country="US"))
    job = check(merchant, upload(merchant, data))
    import_start(merchant_id=merchant.pk, job_id=job.pk, only_valid=True)
    job = import_run(job_id=job.pk)

    assert sorted(Order.objects.filter(merchant=merchant).values_list("reference", flat=True)) == ["A-1", "A-3"]
    assert (job.state, job.orders_created) == (ImportState.DONE, 2)
    lines = "".join(import_error_file(merchant_id=merchant.pk, job_id=job.pk)).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Row,Errors,Order #")
    assert [line.split(",")[0] for line in lines[1:]] == ["3", "4"]
    assert "Item Quantity: Enter a whole number." in lines[1]

    again = check(merchant, upload(merchant, data))
    assert (again.orders_already, again.orders_valid) == (2, 0)
    with pytest.raises(ImportNotAllowed):
        import_start(merchant_id=merchant.pk, job_id=again.pk, only_valid=True)
    assert Order.objects.filter(merchant=merchant).count() == 2


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_chinese_headings_in_the_encodings_chinese_spreadsheets_write(merchant, routes, encoding):
    headings = "订单号,收件人,地址,城市,省/州,邮编,国家,电话,品名,数量,单价,重量(kg)"
    rows = ["CN-1,张伟,Hauptstr. 5,柏林,,10115,德国,+4930123456,蓝牙耳机,1,20,0.35"]
    if encoding == "utf-16":  # Excel's "Unicode text": UTF-16 with a BOM, tab-separated
        headings, rows = headings.replace(",", "\t"), [r.replace(",", "\t") for r in rows]
    job = upload(merchant, csv_file(*rows, headings=headings, encoding=encoding))

    assert {k: job.mapping[k] for k in ("reference", "recipient_name", "recipient_state", "weight")} == {
        "reference": "订单号",
        "recipient_name": "收件人",
        "recipient_state": "省/州",
        "weight": "重量(kg)",
    }
    job = check(merchant, job)
    assert job.orders_valid == 1, errors(job)
    import_start(merchant_id=merchant.pk, job_id=job.pk, only_valid=False)
    import_run(job_id=job.pk)
    order = Order.objects.get(merchant=merchant, reference="CN-1")
    assert (order.recipient_name, order.recipient_city, order.recipient_country) == ("张伟", "柏林", "DE")
    assert order.parcels.get().weight_g == 350


def test_xlsx_with_numeric_cells(merchant, routes):
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(
        [
            "Order Number",
            "Ship To Name",
            "Ship To Address 1",
            "Ship To City",
            "Ship To Zip",
            "Ship To Country",
            "Item Title",
            "Quantity",
            "Sold For",
        ]
    )
    sheet.append(["X-1", "Anna", "Hauptstr. 5", "Berlin", 10115, "Germany", "Mug", 2, 9.5])
    sheet.append(["X-2", "Bob", "1 Main St", "Boston", 2134, "US", "Mug", 1, 9.5])
    out = BytesIO()
    book.save(out)

    job = check(merchant, upload(merchant, out.getvalue(), "orders.xlsx"))

    assert job.kind == "xlsx"
    assert [(r, f) for r, f, _ in errors(job)] == [(3, "recipient_postal_code")], errors(job)
    assert job.orders_valid == 1


def test_the_mapping_is_remembered_for_the_next_file(merchant, routes):
    headings = "Ref,Who,Street,Town,PLZ,Land,Was,Wert"
    data = csv_file("R-1,Anna,Hauptstr. 5,Berlin,10115,DE,Mug,5", headings=headings)
    job = upload(merchant, data)
    assert "recipient_postal_code" not in job.mapping
    mapping = dict(
        zip(
            [
                "reference",
                "recipient_name",
                "recipient_line1",
                "recipient_city",
                "recipient_postal_code",
                "recipient_country",
                "item_description",
                "item_unit_value",
            ],
            headings.split(","),
            strict=True,
        )
    )
    import_check(merchant_id=merchant.pk, job_id=job.pk, mapping=mapping, defaults=SENDER)

    second = upload(merchant, csv_file("R-2,Bob,Hauptstr. 6,Berlin,10115,DE,Mug,5", headings=headings))

    assert second.mapping == mapping
    assert second.defaults["sender_city"] == "Shenzhen"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"Order,Name\r\n", "no orders"),
        (b"\xd0\xcf\x11\xe0rest of an old .xls", "save it as CSV"),
        (b"PK\x03\x04 not really a workbook", "cannot be opened"),
    ],
)
def test_files_we_cannot_read_are_refused_with_a_reason(merchant, data, message):
    with pytest.raises(UnreadableFile, match=message):
        upload(merchant, data)


def test_too_many_rows_is_refused(merchant, settings):
    data = csv_file(*[row(f"A-{n}") for n in range(10_001)])

    with pytest.raises(UnreadableFile, match="more than 10,000 rows"):
        upload(merchant, data)


def test_all_or_nothing_makes_no_order_when_intake_refuses_one_at_import_time(merchant, routes):
    job = check(merchant, upload(merchant, csv_file(row("A-1"), row("A-2"), row("A-3"))))
    import_start(merchant_id=merchant.pk, job_id=job.pk, only_valid=False)
    # Between the check and the run, an order with the reference A-2 arrives by the API.
    order_submit(merchant_id=merchant.pk, draft=order_draft(reference="A-2"), actor="api", channel="api")

    job = import_run(job_id=job.pk)

    assert (job.state, job.orders_created) == (ImportState.FAILED, 0)
    assert list(Order.objects.filter(merchant=merchant).values_list("reference", "channel")) == [("A-2", "api")]
    assert [(r, f) for r, f, _ in errors(job)] == [(3, "reference")]
    assert import_run(job_id=job.pk) is None  # a second delivery of the task does nothing


def test_progress_is_seen_while_an_import_runs_and_counts_the_orders(merchant, routes):
    job = check(merchant, upload(merchant, csv_file(*[row(f"A-{n}") for n in range(60)])))
    job = import_start(merchant_id=merchant.pk, job_id=job.pk, only_valid=True)
    assert import_progress(job=job) == Progress(state="queued", done=0, total=60, finished=False)

    job = import_run(job_id=job.pk)

    assert import_progress(job=job) == Progress(state="done", done=60, total=60, finished=True)
    assert Order.objects.filter(merchant=merchant, channel="import").count() == 60


def test_old_imports_forget_their_rows_but_not_what_they_made(merchant, routes):
    data = csv_file(row("A-1"), row("A-2", quantity="lots"))
    done = check(merchant, upload(merchant, data))
    import_start(merchant_id=merchant.pk, job_id=done.pk, only_valid=True)
    import_run(job_id=done.pk)
    abandoned = upload(merchant, csv_file(row("B-1")))

    assert import_tables_purge(older_than_days=0) == 2

    with pytest.raises(ImportNotAllowed, match="upload the file again"):
        check(merchant, abandoned)
    lines = "".join(import_error_file(merchant_id=merchant.pk, job_id=done.pk)).lstrip("\ufeff").splitlines()
    assert lines == ["Row,Errors", "3,Item Quantity: Enter a whole number."]
    assert check(merchant, upload(merchant, data)).orders_already == 1  # the same file still makes nothing new


def test_the_example_file_of_the_docs_reads_as_the_readme_says(merchant, routes):
    from pathlib import Path

    from apps.resources.tests.factories import CoverageFactory

    for country in ("FR", "NL", "IT"):
        CoverageFactory(service=routes[0], destination_country=country)
    data = (Path(__file__).resolve().parents[3] / "docs" / "examples" / "orders-shipstation.csv").read_bytes()

    job = check(merchant, upload(merchant, data, "orders-shipstation.csv"))

    assert (job.orders_total, job.orders_valid, job.orders_invalid) == (4, 2, 2), errors(job)
    assert [(r, f) for r, f, _ in errors(job)] == [(5, "recipient_phone"), (6, "recipient_postal_code")]


@pytest.mark.parametrize("hint", ["", "sep=;\r\n"])
def test_semicolons_as_european_excel_writes_them(merchant, routes, hint):
    headings = "Order ID;Name;Address;City;Zip;Country;Description;Value"
    data = f"{hint}{headings}\r\nS-1;Anna;Hauptstr. 5;Berlin;10115;DE;Mug;5,50\r\n".encode()

    job = check(merchant, upload(merchant, data))
    import_start(merchant_id=merchant.pk, job_id=job.pk, only_valid=False)
    import_run(job_id=job.pk)

    item = Order.objects.get(merchant=merchant, reference="S-1").parcels.get().items.get()
    assert item.unit_value == Decimal("5.50")  # a decimal comma


@pytest.mark.parametrize(
    ("written", "amount"),
    [("12.50", "12.50"), ("$1,234.50", "1234.50"), ("1.234,50 €", "1234.50"), ("¥88", "88.00"), ("5,5", "5.50")],
)
def test_amounts_as_spreadsheets_write_them(written, amount):
    problems = []

    assert _money(2, written, problems) == Decimal(amount) and problems == []


def test_a_workbook_that_unpacks_to_too_much_is_refused(merchant):
    import io
    import zipfile

    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", compression=zipfile.ZIP_DEFLATED) as book:
        book.writestr("xl/worksheets/sheet1.xml", b"0" * (201 * 1024 * 1024))

    with pytest.raises(UnreadableFile, match="too large once unpacked"):
        upload(merchant, packed.getvalue(), "bomb.xlsx")
