"""Every PDF we make prints names and addresses in any script a merchant ships to or from, with the
fonts embedded: each kind is generated with such names and its text read back equals what was written."""

import io
from decimal import Decimal

import pypdf
import pytest

from apps.distribution.documents import ShipmentDocument, render_sheets, render_shipping_documents
from apps.distribution.shipments import Shipment, ShipmentItem, ShipmentParcel

# (name, street, city) in each script, as a merchant in China ships them.
PEOPLE = {
    "Chinese": ("张伟", "浦东新区世纪大道100号", "上海市"),
    "Traditional Chinese": ("陳大文", "臺北市信義路五段7號", "臺北市"),
    "Japanese": ("山田太郎", "千代田区丸の内1-1", "東京都"),
    "Korean": ("김민준", "중구 세종대로 110", "서울특별시"),
    "Czech": ("Jiří Dvořák", "Náměstí Míru 15", "Praha"),
    "Polish": ("Łukasz Wójcik", "ul. Żółkiewskiego 3", "Łódź"),
    "Russian": ("Иван Петров", "ул. Тверская, 7", "Москва"),
    "Greek": ("Γιώργος Παπαδόπουλος", "Οδός Ερμού 12", "Αθήνα"),
}
SENDER = {"name": "深圳小店", "line1": "科技路1号", "city": "深圳", "postal_code": "518000", "country": "CN"}


def _shipment(script: str, value: str = "12.50") -> Shipment:
    name, street, city = PEOPLE[script]
    item = ShipmentItem(
        description=f"{name} 的礼物",
        quantity=1,
        unit_value=Decimal(value),
        currency="USD",
        hs_code="610910",
        origin_country="CN",
    )
    return Shipment(
        order_number="39KM28FR6W00A",
        reference="",
        sender=SENDER,
        recipient={"name": name, "line1": street, "city": city, "postal_code": "10115", "country": "DE"},
        parcels=(ShipmentParcel(weight_g=500, length_mm=200, width_mm=100, height_mm=50, items=(item,)),),
    )


def _document(shipment: Shipment) -> ShipmentDocument:
    return ShipmentDocument(shipment=shipment, carrier_code="euro-post", service_code="standard", tracking_number="SB1")


def _lines(pdf: bytes) -> list[list[str]]:
    return [page.extract_text().split("\n") for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def _embedded_fonts(pdf: bytes) -> set[str]:
    fonts = set()
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is not None and "/FontFile2" in descriptor.get_object():
                fonts.add(str(font["/BaseFont"]))
            else:
                fonts.add(f"NOT EMBEDDED {font['/BaseFont']}")
    return fonts


@pytest.mark.parametrize("script", PEOPLE)
def test_the_label_and_the_cn23_read_back_the_names_and_addresses_as_written(script):
    name, street, city = PEOPLE[script]

    pdf = render_shipping_documents(_document(_shipment(script, value="450.00")))

    label, customs = _lines(pdf)
    for written in (name, street, f"10115 {city}", "深圳小店", "科技路1号", "518000 深圳"):
        assert written in label
    assert "CUSTOMS DECLARATION CN 23" in customs
    for written in (name, street, f"10115 {city}", "深圳小店"):
        assert written in customs
    assert any(line.startswith(f"{name} 的礼物") for line in customs)
    assert not any(font.startswith("NOT EMBEDDED") for font in _embedded_fonts(pdf))


@pytest.mark.parametrize("paper", ["4x6", "a4-2", "a4-4"])
def test_a_batchs_sheets_and_packing_slips_read_back_every_script(paper):
    shipments = [_shipment(script) for script in PEOPLE]

    pdf, documents = render_sheets([(_document(s), s) for s in shipments], paper=paper, title="t")

    text = "\n".join(line for page in _lines(pdf) for line in page)
    assert documents == 3 * len(PEOPLE)  # label, CN22, packing slip
    assert text.count("PACKING SLIP") == len(PEOPLE)
    for name, street, city in PEOPLE.values():
        assert text.count(name) >= 3 and street in text and city in text
