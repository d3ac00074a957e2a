"""A batch's labels in one PDF, laid out for the printer the merchant has.

The batch's orders that have their label (bought by the batch, or labelled already) are drawn, in
the batch's order, by the distribution center's `render_sheets`: each order's labels (one a
parcel) and customs declaration, as its delivery was booked, then its packing slip when asked
for. All in one reportlab document, so each font subset is embedded once: a 500-order batch is
about 1 MB and takes a few seconds (bench/batch_pdf.py). Orders still waiting for a label are left
out (the batch page counts them); print again once they are in, reprints are free.
"""

from django.utils.translation import gettext_lazy as _

from apps.batches.models import BatchOrder, LabelBatch
from apps.distribution.documents import render_sheets
from apps.distribution.selectors import shipping_documents_of_orders

PAPER_CHOICES = [
    ("4x6", _("4x6 in (label printer)")),
    ("a4-2", _("A4, 2 labels a page")),
    ("a4-4", _("A4, 4 labels a page")),
]


def batch_pdf(*, batch: LabelBatch, paper: str, packing_slips: bool) -> tuple[bytes, int, int]:
    """(PDF, orders in it, documents in it) of the batch's labelled orders on `paper`."""
    order_ids = list(
        batch.orders.exclude(action=BatchOrder.Action.SKIP).order_by("position").values_list("order_id", flat=True)
    )
    found = shipping_documents_of_orders(order_ids=order_ids)
    deliveries = [
        (found[order_id].document, found[order_id].shipment if packing_slips else None)
        for order_id in order_ids
        if order_id in found
    ]
    pdf, documents = render_sheets(deliveries, paper=paper, title=f"Label batch {batch.pk}")
    return pdf, len(deliveries), documents
