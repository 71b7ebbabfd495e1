from django.core.management.base import BaseCommand

from qa.pagecache import content_changed


class Command(BaseCommand):
    help = (
        "Make every cached page a miss. Writes made through Django do this by themselves; run it "
        "after changing the database another way (psql, a restore)."
    )

    def handle(self, *args, **options):
        content_changed()
        self.stdout.write("Cached pages will be rendered again from the database.")
