"""Seed a sandbox warehouse's stock: named SKUs (`--set SKU=QTY ...`), and/or many generated
ones for the large-snapshot benchmark (`--generate 100000 --prefix BENCH- --on-hand 50`)."""

from django.core.management.base import BaseCommand, CommandError

from apps.sandbox import wms


class Command(BaseCommand):
    help = "Set stock in a sandbox WMS warehouse (per SKU, or N generated SKUs for benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("warehouse_code")
        parser.add_argument("--set", dest="pairs", nargs="*", default=[], metavar="SKU=QTY", help="on-hand per SKU")
        parser.add_argument("--generate", type=int, default=0, help="how many SKUs <prefix>000001... to write")
        parser.add_argument("--prefix", default="BENCH-", help="prefix of generated SKUs")
        parser.add_argument("--on-hand", type=int, default=50, help="on-hand of each generated SKU")

    def handle(self, *args, warehouse_code, pairs, generate, prefix, on_hand, **options):
        items = []
        for pair in pairs:
            sku, _, quantity = pair.partition("=")
            if not sku or not quantity.isdigit():
                raise CommandError(f"--set takes SKU=QTY with QTY a whole number, not {pair!r}")
            items.append({"sku": sku, "on_hand": int(quantity)})
        if generate < 0 or on_hand < 0:
            raise CommandError("--generate and --on-hand must be 0 or more")
        try:
            written = wms.stock_set(warehouse_code, items) if items else 0
        except wms.Invalid as exc:
            raise CommandError(str(exc)) from exc
        if generate:
            written += wms.stock_generate(warehouse_code, count=generate, prefix=prefix, on_hand=on_hand)
        self.stdout.write(f"{warehouse_code}: {written} SKUs written")
