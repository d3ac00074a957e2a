from django.apps import AppConfig


class BatchesConfig(AppConfig):
    """Label batches: a merchant buys and prints the labels of many orders at once (docs/printing.md).

    A batch names its orders and one service choice (a carrier service, or the platform's choice);
    buying goes through the shipping center's intake and re-routing and the scheduling lanes, like
    any order. *Buy* records the batch in one transaction and answers at once; a worker makes the
    moves to the chosen service (`batches.batch.bought` → `tasks.move_batch_orders`), a chunk a
    transaction, idempotently. Printing merges the orders' shipping documents (labels, customs
    declarations) and optional packing slips into one PDF in 4x6 or A4 with 2 or 4 labels a page.
    Every print is logged (who, when, reprint or first print); reprints are free.

    Public API: `services.label_batch_create`, `services.label_batch_reroute`, `services.print_record`;
    `selectors.label_batch_get/_list`, `selectors.label_batch_progress`, `selectors.label_batch_preview`,
    `selectors.print_log`; `printing.batch_pdf`; `rules.decide` (what a batch does with an order);
    `tasks.move_batch_orders` (takes the batch's id).
    """

    name = "apps.batches"
    label = "batches"

    def ready(self) -> None:
        from apps.batches import handlers  # noqa: F401
