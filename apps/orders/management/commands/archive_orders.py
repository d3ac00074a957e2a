from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from apps.orders.archiving import orders_archive


class Command(BaseCommand):
    help = "Move orders closed longer than --older-than-days out of the hot tables, batch by batch."

    def add_arguments(self, parser):
        parser.add_argument("--older-than-days", type=float, default=settings.ORDER_ARCHIVE_AFTER_DAYS)
        parser.add_argument("--batch-size", type=int, default=settings.ORDER_ARCHIVE_BATCH_SIZE)
        parser.add_argument("--max-batches", type=int, default=None)

    def handle(self, *args, older_than_days, batch_size, max_batches, **options):
        closed_before = timezone.now() - timedelta(days=older_than_days)
        run = orders_archive(closed_before=closed_before, batch_size=batch_size, max_batches=max_batches)
        self.stdout.write(
            f"archived {run.orders} orders in {run.batches} batches (closed before {closed_before:%Y-%m-%d %H:%M})"
        )
