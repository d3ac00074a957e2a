from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """Owns spreadsheet imports of orders: uploaded files (CSV in the encodings spreadsheet
    programs write, XLSX), the merchant's remembered column mapping and settings, the check
    that finds an error per row and field (damaged numbers and postcodes included), and the
    background run that makes the orders through the shipping center's intake (channel
    "import"), idempotent by file hash and order reference.

    Public API: `services.import_upload/_check/_start/_run`, `selectors.import_job_list/_get`,
    `selectors.import_progress`, `selectors.import_row_errors`, `selectors.import_error_file`,
    `tasks.run_import` (takes the job's id). Sits between the portal and the shipping center.
    """

    name = "apps.imports"
    label = "imports"
