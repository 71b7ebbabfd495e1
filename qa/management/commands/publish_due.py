from django.core.management.base import BaseCommand

from qa.selectors import columns_overdue
from qa.services import columns_publish_due


class Command(BaseCommand):
    help = "Publish the scheduled columns whose time has come (safe to run from cron every minute)."

    def handle(self, *args, **options):
        for column in columns_publish_due():
            self.stdout.write(f"Published “{column.title}” at {column.published_at:%Y-%m-%d %H:%M}")
        for column in columns_overdue():
            self.stderr.write(
                self.style.ERROR(
                    f"Still not published: “{column.title}”, due {column.publish_at:%Y-%m-%d %H:%M}"
                )
            )
