"""Merged printing benchmark: a 500-order batch's PDF, drawn once the last label is in.

Builds 500 orders' documents as booking describes them (a 4x6 label and, across the border, a CN22
or CN23; names and addresses in Chinese, Japanese, Korean, Czech, Polish, Russian and Greek, so
every font is embedded) and times (wall and CPU) `render_sheets`, what `apps.batches.printing.batch_pdf` runs
after its one read of the orders (three queries, not timed here), on each paper, with and without
a packing slip per order. For comparison, `--merge` also times merging the 500 stored PDFs with
pypdf (the road not taken). In-process, no network.

    .venv/bin/python bench/batch_pdf.py [--orders 500] [--merge]
"""

import argparse
import io
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "logistics.settings.test")

import django  # noqa: E402

django.setup()

from pypdf import PdfReader, PdfWriter  # noqa: E402

from apps.distribution.documents import PAPERS, ShipmentDocument, render_sheets, render_shipping_documents  # noqa: E402
from apps.distribution.shipments import Shipment, ShipmentItem, ShipmentParcel  # noqa: E402

NAMES = [
    ("张伟", "上海市浦东新区世纪大道100号", "上海", "CN"),
    ("山田太郎", "東京都千代田区丸の内1-1", "東京", "JP"),
    ("김민준", "서울특별시 중구 세종대로 110", "서울", "KR"),
    ("Jiří Dvořák", "Náměstí Míru 15", "Praha", "CZ"),
    ("Łukasz Wójcik", "ul. Żółkiewskiego 3", "Łódź", "PL"),
    ("Иван Петров", "ул. Тверская, 7", "Москва", "RU"),
    ("Γιώργος Παπαδόπουλος", "Οδός Ερμού 12", "Αθήνα", "GR"),
]


def shipment_document(n: int) -> ShipmentDocument:
    name, line1, city, country = NAMES[n % len(NAMES)]
    item = ShipmentItem(
        description="蓝牙耳机 Bluetooth earphones",
        quantity=2,
        unit_value=Decimal("19.90") if n % 3 else Decimal("450.00"),
        currency="USD",
        hs_code="851830",
        origin_country="CN",
    )
    shipment = Shipment(
        order_number=f"39KM28FR{n:05d}",
        reference=f"SHOP-{n}",
        sender={
            "name": "深圳小店 Shenzhen Gadgets",
            "line1": "科技路1号",
            "city": "深圳",
            "postal_code": "518000",
            "country": "CN",
        },
        recipient={"name": name, "line1": line1, "city": city, "postal_code": "10000", "country": country},
        parcels=(ShipmentParcel(weight_g=800, length_mm=200, width_mm=150, height_mm=80, items=(item,)),),
    )
    return ShipmentDocument(
        shipment=shipment, carrier_code="euro-post", service_code="standard", tracking_number=f"SBEUR{n:010d}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--merge", action="store_true")
    args = parser.parse_args()
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall time grows with it; CPU time does not)"
    )
    docs = [shipment_document(n) for n in range(args.orders)]
    render_sheets([(docs[0], None)], paper="4x6", title="warm-up")  # fonts are read once per process
    for paper in PAPERS:
        for slips in (False, True):
            started, cpu = time.perf_counter(), time.process_time()
            pdf, count = render_sheets([(d, d.shipment if slips else None) for d in docs], paper=paper, title="bench")
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            pages = len(PdfReader(io.BytesIO(pdf)).pages)
            print(
                f"{paper:5} packing slips {'yes' if slips else 'no '}: {seconds:5.2f} s ({cpu:5.2f} s CPU) for "
                f"{args.orders} orders, {count} documents on {pages} pages, {len(pdf) / 1e6:.1f} MB"
            )
    if args.merge:
        started = time.perf_counter()
        stored = [render_shipping_documents(d) for d in docs]
        each = (time.perf_counter() - started) / len(docs) * 1000
        print(f"rendering each order's stored PDF (as booking does): {each:.0f} ms each")
        started = time.perf_counter()
        writer = PdfWriter()
        for pdf in stored:
            writer.append(io.BytesIO(pdf))
        buffer = io.BytesIO()
        writer.write(buffer)
        seconds, size = time.perf_counter() - started, buffer.tell() / 1e6
        print(f"merging the stored PDFs with pypdf instead: {seconds:.2f} s, {size:.1f} MB")


if __name__ == "__main__":
    main()
