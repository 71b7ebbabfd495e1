import time

from django.core.management.base import BaseCommand
from django.db import connection

from qa.models import Column
from qa.search_index import search_vectors_refresh


def positive(value):
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Recompute every column's search document from its texts (PostgreSQL). Safe while the "
        "site runs: columns are done a batch at a time, each batch in its own short statement."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=positive,
            default=1000,
            help="Columns per UPDATE (default 1000).",
        )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            self.stdout.write("Nothing to rebuild: search on this database reads the texts.")
            return
        started = time.monotonic()
        ids = list(Column.objects.order_by("pk").values_list("pk", flat=True))
        size = options["batch_size"]
        changed = 0
        for start in range(0, len(ids), size):
            changed += search_vectors_refresh(column_ids=ids[start : start + size])
        self.stdout.write(
            f"Rebuilt the search documents of {len(ids)} columns in "
            f"{time.monotonic() - started:.1f}s; {changed} were out of date."
        )
