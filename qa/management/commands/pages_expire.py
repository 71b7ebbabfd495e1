from django.core.management.base import BaseCommand
from django.db import transaction

from qa.pagecache import pages_changed


class Command(BaseCommand):
    help = (
        "Make every cached page a miss. The services do this for what they change; run it after "
        "changing the database another way (psql, a restore) or deploying changed templates."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            pages_changed()
        self.stdout.write("Cached pages will be rendered again from the database.")
