"""A bought batch's moves (re-routes) run on a worker, not in the *Buy* request."""

from apps.batches.events import BATCH_BOUGHT
from apps.batches.tasks import move_batch_orders
from apps.common import outbox

# The imports queue: merchants' long jobs (a 500-order batch moves for up to a minute), so they
# never hold up the events of single orders.
outbox.route(
    BATCH_BOUGHT,
    task=move_batch_orders,
    kwargs=lambda event: {"batch_id": int(event.payload["batch_id"])},
    queue="imports",
)
