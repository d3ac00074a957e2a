from django.core.management.base import BaseCommand

from apps.warehouse.services import stock_check


class Command(BaseCommand):
    help = (
        "Prove every stock row: on hand = received - shipped +/- adjustments (its ledger) and reserved = the sum "
        "of its active reservations. Differences are kept (StockCheck) and reported to operations; exit 1 if any."
    )

    def handle(self, *args, **options):
        check = stock_check(actor="ops:check_stock")
        for d in check.differences:
            self.stdout.write(
                f"{d['warehouse_code']} merchant {d['merchant_id']} {d['sku']}: on hand {d['on_hand']} vs ledger "
                f"{d['ledger']}, reserved {d['reserved']} vs reservations {d['reservations']}"
            )
        self.stdout.write(f"checked {check.stock_rows} stock rows, {len(check.differences)} differences")
        if check.differences:
            raise SystemExit(1)
