import csv
import io
import tracemalloc

import pypdf
import pytest

from apps.distribution.services import distribution_order_book, distribution_order_create
from apps.distribution.tests.test_distribution_services import FixedGateway
from apps.merchants.tests.factories import MerchantFactory
from apps.orders.tests.bulk import bulk_insert_orders
from apps.orders.tests.factories import address_draft, create_order


def test_export_is_csv_of_the_filtered_orders_of_the_merchant_only(api_client, merchant):
    mine = create_order(merchant_id=merchant.pk, reference="=HYPERLINK(evil)")
    create_order(merchant_id=merchant.pk, reference="CANCEL-ME")
    create_order(merchant_id=MerchantFactory().pk, reference="NOT-MINE")

    response = api_client.get("/api/v1/orders/export/", {"reference": "=HYPERLINK(evil)"})

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert [r["id"] for r in rows] == [str(mine.id)]
    assert rows[0]["number"] == mine.number
    assert rows[0]["reference"] == "'=HYPERLINK(evil)"  # neutralised for spreadsheets


@pytest.mark.django_db(transaction=True)
def test_an_export_of_100000_orders_streams_in_bounded_memory(api_client, merchant):
    bulk_insert_orders(merchant_id=merchant.pk, count=100_000)

    response = api_client.get("/api/v1/orders/export/")
    tracemalloc.start()
    lines, size = 0, 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
        size += len(chunk)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert lines == 100_001  # header and every order
    assert size > 10_000_000
    assert peak < 8_000_000, f"peak {peak} bytes while streaming {size} bytes"


def test_the_label_downloads_as_pdf_once_booked_and_is_404_before(api_client, merchant):
    order = create_order(merchant_id=merchant.pk)
    before = api_client.get(f"/api/v1/orders/{order.id}/label/")
    leg = distribution_order_create(
        order_id=order.pk, merchant_id=merchant.pk, carrier_code="test-post", service_code="standard", actor="t"
    )
    distribution_order_book(distribution_order_id=leg.pk, gateway=FixedGateway())

    after = api_client.get(f"/api/v1/orders/{order.id}/label/")

    assert before.status_code == 404 and before.json()["code"] == "not_found"
    assert after.status_code == 200 and after["Content-Type"] == "application/pdf"
    first_page = pypdf.PdfReader(io.BytesIO(after.content)).pages[0].extract_text()
    assert "TN1" in first_page and order.number in first_page


@pytest.mark.parametrize(
    "typed",
    ['=1+HYPERLINK("http://x")', "-2+3+cmd|' /C calc'!A0", "+1", "@SUM(1)", "\tTAB", "\rCR", "=A1"],
)
def test_every_cell_a_spreadsheet_would_run_is_quoted_even_when_a_digit_follows(api_client, merchant, typed):
    create_order(merchant_id=merchant.pk, reference=typed, recipient=address_draft(name=typed))

    response = api_client.get("/api/v1/orders/export/")

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode(), newline="")))
    assert rows[0]["reference"] == "'" + typed
    assert rows[0]["recipient_name"] == "'" + typed


def test_our_own_numbers_are_written_as_numbers(api_client, merchant):
    order = create_order(merchant_id=merchant.pk, reference="-5")

    response = api_client.get("/api/v1/orders/export/")

    row = next(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert row["id"] == str(order.id) and row["reference"] == "'-5"
