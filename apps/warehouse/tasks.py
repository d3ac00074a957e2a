"""The warehouse center's periodic work. WMS calls for one order or ASN (submit, cancel,
announce) run as lane work of the scheduling center; these sweeps only touch our own tables."""

from celery import shared_task

from apps.warehouse.services import stock_check, stock_reservations_expire


@shared_task
def check_stock() -> int:
    """Nightly: prove on hand and reserved against the ledger and the reservations; return differences."""
    return len(stock_check().differences)


@shared_task
def expire_reservations() -> int:
    return stock_reservations_expire()
