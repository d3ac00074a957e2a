"""Shipping documents read back the way a warehouse scanner and a customs officer would."""

import io
from decimal import Decimal

import pypdf
import pypdfium2
import pytest
import zxingcpp

from apps.distribution.documents import ShipmentDocument, render_shipping_documents
from apps.distribution.shipments import Shipment, ShipmentItem, ShipmentParcel

SENDER = {
    "name": "Shenzhen Gadgets",
    "line1": "1 Keji Rd",
    "city": "Shenzhen",
    "postal_code": "518000",
    "country": "CN",
}
RECIPIENT = {"name": "Anna Schmidt", "line1": "Hauptstr. 5", "city": "Berlin", "postal_code": "10115", "country": "DE"}


def _document(unit_value="12.50", recipient=RECIPIENT, parcels=2) -> ShipmentDocument:
    item = ShipmentItem(
        description="T-shirt",
        quantity=2,
        unit_value=Decimal(unit_value),
        currency="USD",
        hs_code="610910",
        origin_country="CN",
    )
    shipment = Shipment(
        order_number="39KM28FR6W00A",
        reference="ERP-1001",
        sender=SENDER,
        recipient=recipient,
        parcels=tuple(
            ShipmentParcel(weight_g=1200, length_mm=300, width_mm=200, height_mm=100, items=(item,))
            for _ in range(parcels)
        ),
    )
    return ShipmentDocument(
        shipment=shipment, carrier_code="swift-express", service_code="express", tracking_number="SBSWI0123456789"
    )


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def _barcodes(pdf: bytes, page: int) -> list[tuple[str, str]]:
    image = pypdfium2.PdfDocument(pdf)[page].render(scale=4).to_pil()
    return [(str(code.format), code.text) for code in zxingcpp.read_barcodes(image)]


def test_each_parcel_gets_a_4x6_label_with_a_scannable_code128_tracking_number():
    pdf = render_shipping_documents(_document())

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    pages = _pages(pdf)
    assert [round(float(reader.pages[i].mediabox.width) / 72, 2) for i in (0, 1)] == [4.0, 4.0]
    assert [round(float(reader.pages[i].mediabox.height) / 72, 2) for i in (0, 1)] == [6.0, 6.0]
    for number, text in enumerate(pages[:2], start=1):
        for expected in (
            "Shenzhen Gadgets",
            "Anna Schmidt",
            "10115 Berlin",
            "SWIFT-EXPRESS / EXPRESS",
            "SBSWI0123456789",
            "Weight: 1.200 kg",
            "Ref: ERP-1001",
            f"Parcel {number} of 2",
        ):
            assert expected in text
    assert _barcodes(pdf, 0) == [("Code 128", "SBSWI0123456789")]


@pytest.mark.parametrize(("unit_value", "form"), [("12.50", "CN22"), ("150.00", "CN22"), ("150.01", "CN23")])
def test_cross_border_parcels_carry_cn22_up_to_the_threshold_and_cn23_above(unit_value, form):
    pdf = render_shipping_documents(_document(unit_value=unit_value, parcels=1))

    declaration = _pages(pdf)[-1]
    assert f"CUSTOMS DECLARATION {form[:2]} {form[2:]}" in declaration
    for expected in ("T-shirt", "610910", "CN", "USD", f"Total value: {Decimal(unit_value) * 2:.2f} USD"):
        assert expected in declaration
    assert ("Addressee" in declaration) == (form == "CN23")


def test_a_domestic_parcel_has_no_customs_declaration():
    domestic = {**RECIPIENT, "city": "Guangzhou", "postal_code": "510000", "country": "CN"}

    pages = _pages(render_shipping_documents(_document(recipient=domestic, parcels=1)))

    assert len(pages) == 1
    assert "CUSTOMS" not in pages[0]
