from apps.imports.services import import_check, import_upload
from apps.imports.tests.conftest import SENDER, csv_file, row


def test_operations_read_an_import_and_its_row_errors(admin_client, merchant, routes):
    job = import_upload(merchant_id=merchant.pk, actor="x", file_name="orders.csv", data=csv_file(row(phone="1E+11")))
    import_check(merchant_id=merchant.pk, job_id=job.pk, mapping=job.mapping, defaults=SENDER)

    listed = admin_client.get("/admin/imports/importjob/")
    page = admin_client.get(f"/admin/imports/importjob/{job.pk}/change/")

    assert listed.status_code == 200 and "orders.csv" in listed.content.decode()
    assert page.status_code == 200 and "scientific notation" in page.content.decode()
