"""The sandbox carriers' labels print names and addresses in any script with embedded fonts: each
is read back and equals what was written (the platform's documents: apps/distribution/tests)."""

import io

import pypdf
import pytest

from apps.sandbox.labels import render_label

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
def test_the_sandbox_carriers_label_reads_back_the_names_as_written(script):
    name, street, city = PEOPLE[script]

    pdf = render_label(
        carrier_code="euro-post",
        service="standard",
        tracking_number="SBEUR0000000001",
        reference="39KM28FR6W00A",
        sender=SENDER,
        recipient={"name": name, "line1": street, "city": city, "postal_code": "10115", "country": "DE"},
        weight_g=500,
    )

    (label,) = _lines(pdf)
    for written in (name, street, f"10115 {city}", "深圳小店"):
        assert written in label
    assert not any(font.startswith("NOT EMBEDDED") for font in _embedded_fonts(pdf))
