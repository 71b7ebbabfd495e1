import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from qa.emails import dispatches_due, emails_retry

# Far enough ahead to take in every email that still has a next try.
EVERY = datetime.timedelta(days=3650)


class Command(BaseCommand):
    help = (
        "Try again every email whose sending failed and whose next try has come. Safe to run "
        "as often as you like, alongside the worker: an email already sent is never sent again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            action="store_true",
            help="Do not wait for each email's next try: retry every unsent one now.",
        )

    def handle(self, *args, now=False, **options):
        sent, failed = emails_retry(now=timezone.now() + EVERY if now else None)
        waiting = dispatches_due(timezone.now() + EVERY).count()
        self.stdout.write(f"{sent} sent, {failed} failed again, {waiting} waiting for a next try.")
