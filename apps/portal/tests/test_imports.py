"""The import pages through the test client: upload, map, preview the errors, start, progress,
the error file; the worker's part is the real task, called as a worker would."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.imports.models import ImportJob
from apps.imports.tasks import run_import
from apps.imports.tests.conftest import SENDER, csv_file, routes, row  # noqa: F401
from apps.orders.models import Order

SETTINGS = {
    **SENDER,
    "currency": "USD",
    "origin_country": "CN",
    "service_level": "standard",
    "weight_unit": "kg",
    "weight_g": "500",
    "length_mm": "200",
    "width_mm": "150",
    "height_mm": "100",
}


@pytest.fixture
def portal(client, merchant_user):
    client.force_login(merchant_user)
    return client


def upload(portal, data: bytes, name: str = "orders.csv"):
    return portal.post("/imports/", {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def mapping_post(job: ImportJob, **changes) -> dict:
    return {**{f"map_{k}": v for k, v in job.mapping.items()}, **SETTINGS, **changes}


def test_upload_map_preview_import_the_valid_rows_and_download_the_error_file(portal, merchant, routes):  # noqa: F811
    response = upload(portal, csv_file(row("A-1"), row("A-2", phone="1.23457E+11"), row("A-3")))
    job = ImportJob.objects.get(merchant_id=merchant.pk)
    assert response.status_code == 302 and response["Location"] == f"/imports/{job.pk}/"
    page = portal.get(response["Location"]).content.decode()
    assert '<option value="Ship To - Phone" selected>' in page  # the known heading mapped itself

    response = portal.post(f"/imports/{job.pk}/check/", mapping_post(job))
    assert response.status_code == 302
    page = portal.get(f"/imports/{job.pk}/").content.decode()
    assert 'data-row="3"' in page and "scientific notation" in page
    assert "Import the valid rows (2 orders)" in page
    preview = page.split('id="preview"')[1].split("</section>")[0]  # the orders as understood
    assert "Anna Schmidt, Berlin, 10115, DE" in preview and "2 x T-shirt (12.50 USD)" in preview

    refused = portal.post(f"/imports/{job.pk}/start/", {"mode": "all"})
    assert refused.status_code == 409 and not Order.objects.exists()

    assert portal.post(f"/imports/{job.pk}/start/", {"mode": "valid"}).status_code == 302
    assert portal.get(f"/imports/{job.pk}/progress.json").json()["state"] == "queued"
    waiting = portal.get(f"/imports/{job.pk}/").content.decode()
    assert 'src="/static/js/import_progress.js"' in waiting  # the bar follows the worker
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in waiting  # or the page refreshes
    run_import(job.pk)  # what the worker does with the task

    assert portal.get(f"/imports/{job.pk}/progress.json").json() == {
        "state": "done",
        "done": 2,
        "total": 2,
        "percent": 100,
        "finished": True,
    }
    assert sorted(Order.objects.filter(channel="import").values_list("reference", flat=True)) == ["A-1", "A-3"]
    errors = b"".join(portal.get(f"/imports/{job.pk}/errors.csv").streaming_content).decode("utf-8")
    assert errors.startswith("\ufeffRow,Errors,")
    assert errors.splitlines()[1].startswith("3,Ship To - Phone: 1.23457E+11 is a long number")


def test_a_missing_required_column_is_an_error_beside_its_field(portal, merchant, routes):  # noqa: F811
    upload(portal, csv_file(row("A-1")))
    job = ImportJob.objects.get(merchant_id=merchant.pk)

    response = portal.post(f"/imports/{job.pk}/check/", mapping_post(job, map_recipient_city=""))

    assert response.status_code == 400
    field = response.content.decode().split('id="field-map_recipient_city"')[1].split("</div>")[0]
    assert "This field is required." in field


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The submitted file is empty."),
        (b"\xd0\xcf\x11\xe0 an old xls", "save it as CSV"),
        (b"just one line\n", "no orders"),
    ],
)
def test_files_we_cannot_read_are_answered_beside_the_field(portal, data, message):
    response = upload(portal, data)

    assert response.status_code == 400
    assert message in response.content.decode()


def test_another_merchants_import_is_not_found(portal, merchant, routes):  # noqa: F811
    from apps.imports.services import import_upload
    from apps.merchants.tests.factories import MerchantFactory

    other = import_upload(merchant_id=MerchantFactory().pk, actor="x", file_name="a.csv", data=csv_file(row()))

    for path in ("", "progress.json", "errors.csv"):
        assert portal.get(f"/imports/{other.pk}/{path}").status_code == 404


def test_a_file_over_the_size_limit_is_refused_beside_the_field(portal, merchant):
    response = upload(portal, b"x" * (10 * 1024 * 1024 + 1))

    assert response.status_code == 400
    assert "larger than 10 MB" in response.content.decode()
    assert not ImportJob.objects.filter(merchant_id=merchant.pk).exists()


def test_a_column_chosen_by_hand_names_the_errors_and_is_remembered(portal, merchant, routes):  # noqa: F811
    headings = "Ref,Who,Street,Town,PLZ,Land,Was,Wert,Tel"
    upload(portal, csv_file("R-1,Anna,Hauptstr. 5,Berlin,10115,DE,Mug,5,1.2E+10", headings=headings))
    job = ImportJob.objects.get(merchant_id=merchant.pk)
    chosen = dict(
        zip(["reference", "recipient_name", "recipient_line1", "recipient_city"], headings.split(","), strict=False)
    )
    chosen |= {"recipient_postal_code": "PLZ", "recipient_country": "Land", "item_description": "Was"}
    chosen |= {"item_unit_value": "Wert", "recipient_phone": "Tel"}

    response = portal.post(f"/imports/{job.pk}/check/", {**{f"map_{k}": v for k, v in chosen.items()}, **SETTINGS})

    assert response.status_code == 302
    page = portal.get(f"/imports/{job.pk}/").content.decode()
    assert '<tr class="row-error" data-row="2"><td>2</td><td>Tel</td>' in page
    upload(portal, csv_file("R-2,Bob,Hauptstr. 6,Berlin,10115,DE,Mug,5,+4930123456", headings=headings))
    assert ImportJob.objects.filter(merchant_id=merchant.pk).latest("pk").mapping == chosen


def test_checking_an_import_that_started_says_why_not(portal, merchant, routes):  # noqa: F811
    upload(portal, csv_file(row("A-1")))
    job = ImportJob.objects.get(merchant_id=merchant.pk)
    portal.post(f"/imports/{job.pk}/check/", mapping_post(job))
    portal.post(f"/imports/{job.pk}/start/", {"mode": "all"})

    response = portal.post(f"/imports/{job.pk}/check/", mapping_post(job))

    assert response.status_code == 409 and "This import has started already." in response.content.decode()
